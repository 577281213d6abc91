import CASCore
import CASWire

/// The enumerated layer options: each word's model-table label and code. Codes CAS uses where known
/// (those found in the model tables DLPy ships); the others are caslite's own (docs/deeplearn.md).
enum Enumerations {
    /// word → (label, code), per option key.
    static let table: [String: [String: (String, Double)]] = [
        "act": ["AUTO": ("Automatic", 0), "IDENTITY": ("Identity", 1), "TANH": ("Hyperbolic Tangent", 2), "SIGMOID": ("Logistic", 4),
                "SOFTMAX": ("Softmax", 7), "RELU": ("Rectifier", 8), "LEAKY": ("Leaky Activation function", 12), "RELU6": ("Rectifier 6", 21)],
        "init": ["XAVIER": ("Xavier", 1), "UNIFORM": ("Uniform", 2), "NORMAL": ("Normal", 3), "MSRA": ("MSRA", 8)],
        "pool": ["MAX": ("Max Pooling", 1), "MEAN": ("Mean Pooling", 2)],
        "error": ["AUTO": ("Automatic", 0), "ENTROPY": ("Entropy", 2)],
        "std": ["NONE": ("No Standardization", 2), "VALUES": ("Per-channel values", 20)],
        "crop": ["NONE": ("No cropping", 1), "UNIQUE": ("Unique", 2), "RANDOMRESIZED": ("Random resized", 3)],
        "flip": ["NONE": ("No flipping", 1), "H": ("Horizontal", 2), "V": ("Vertical", 3), "HV": ("Horizontal and vertical", 4)],
        "mutation": ["NONE": ("No mutations", 1), "RANDOM": ("Random", 2)],
        "outputimagetype": ["WIDE": ("Wide", 1), "PNG": ("PNG", 2), "BASE64": ("Base64", 3)],
        "coordtype": ["RECT": ("RECT", 1), "YOLO": ("YOLO", 2), "COCO": ("COCO", 3)],
        "detectionmodeltype": ["YOLOV1": ("YOLOV1", 1), "YOLOV2": ("YOLOV2", 2)],
    ]

    /// Model-table keys whose value is a label rather than a number (`poolingtype` holds `pool`).
    static func tableKey(_ word: String) -> String { word == "pool" ? "poolingtype" : word }
    static func wordKey(_ tableKey: String) -> String { tableKey == "poolingtype" ? "pool" : tableKey }

    static func label(_ key: String, _ word: String) -> (String, Double) { table[key]?[word] ?? (word, 0) }

    static func word(_ key: String, label: String) -> String? {
        table[key]?.first { $0.value.0.lowercased() == label.lowercased() }?.key
    }

    static func allowed(_ key: String) -> [String] { (table[key] ?? [:]).keys.sorted() }

    /// The words, then the other spellings a value may arrive in: the model-table labels upper-cased (DLPy's
    /// `Model.from_table` sends `act="Rectifier"` back) and CAS's own names for the same choice.
    static func accepted(_ key: String) -> [String] {
        let words = allowed(key)
        let labels = (table[key] ?? [:]).values.map { $0.0.uppercased() }.filter { !words.contains($0) }
        return words + (Set(labels).union((synonyms[key] ?? [:]).keys).subtracting(words)).sorted()
    }

    /// The word `v` names for option `key`: a word or label (any case), or the model table's code of one (DLPy's
    /// `Model.from_table` sends `coordType=2.0`). Anything else is an Error naming the choices.
    static func wordOrCode(_ key: String, _ v: Value, parameter: String) throws(ActionError) -> String {
        let choices = table[key] ?? [:]
        if let text = v.stringValue {
            let w = canonical(key, text)
            if choices[w] != nil { return w }
        } else if let d = v.doubleValue, let hit = choices.first(where: { $0.value.1 == d }) {
            return hit.key
        }
        throw ActionError(.parameterValue, "\(parameter) must be one of \(allowed(key).joined(separator: ", ")) (or its code \(choices.values.map(\.1).sorted().map { Fixed.text($0, 0) }.joined(separator: "/"))), not \(v.jsonString).",
                          parameter: parameter)
    }

    /// CAS's other names for a word (`act=RECTIFIER` is RELU, LOGISTIC is SIGMOID).
    static let synonyms: [String: [String: String]] = ["act": ["RECTIFIER": "RELU", "LOGISTIC": "SIGMOID"]]

    /// The word a validated value (one of `accepted(key)`) stands for.
    static func canonical(_ key: String, _ value: String) -> String {
        let v = value.uppercased()
        if table[key]?[v] != nil { return v }
        return synonyms[key]?[v] ?? word(key, label: v) ?? v
    }
}
