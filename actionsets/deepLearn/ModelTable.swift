import CASCore
import CASWire

/// The model table: CAS's layout (that of the model tables DLPy ships; docs/deeplearn.md) — one row for the model, then per
/// layer one `layertype` row, one `srclayers.<k>` row per source and one row per option.
/// Columns `_DLKey0_` (model or layer name, lower-case), `_DLKey1_` (row key), `_DLChrVal_`,
/// `_DLNumVal_`, `_DLLayerID_` (0-based, missing on the model row).
struct ModelTable: Sendable {
    var modelName: String
    var layers: [LayerSpec]

    static let modelTypeLabel = "Convolutional Neural Network"

    func index(of name: String) -> Int? { layers.firstIndex { $0.name == name.lowercased() } }
    /// Every layer's position by (lower-case) name: for lookups of many names (a model may have 10 000 layers).
    var positions: [String: Int] { Dictionary(layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first }) }

    /// The table form.
    func table(name: String) -> DataTable {
        var rows: [[Value]] = [[.string(modelName.lowercased()), "modeltype", .string(Self.modelTypeLabel), 2, .null]]
        let position = positions
        for (id, l) in layers.enumerated() {
            let lid = Value.double(Double(id))
            rows.append([.string(l.name), "layertype", .string(l.kind.label), .double(l.kind.code), lid])
            for (k, src) in l.sources.enumerated() {
                rows.append([.string(l.name), .string("srclayers.\(k)"), .string(src), position[src.lowercased()].map { .double(Double($0)) } ?? .null, lid])
            }
            let p = l.kind.optionPrefix
            for key in l.words.keys.sorted() {
                let (label, code) = Enumerations.label(key, l.words[key]!)
                let tableKey = Enumerations.tableKey(key)
                rows.append([.string(l.name), .string("\(p).\(Self.casSpelling[tableKey] ?? tableKey)"), .string(label), .double(code), lid])
            }
            for (key, value) in Self.tableNumbers(l) {
                rows.append([.string(l.name), .string("\(p).\(key)"), .string(key), .double(value), lid])
            }
        }
        return .result(name, label: "Model table of \(modelName)", columns: [
            ("_DLKey0_", .varchar), ("_DLKey1_", .varchar), ("_DLChrVal_", .varchar), ("_DLNumVal_", .double), ("_DLLayerID_", .double),
        ], rows: rows)
    }

    /// Keys DLPy's `Model.from_table` reads in CAS's spelling (it compares them exactly).
    static let casSpelling = ["nofullconnect": "noFullConnect", "targetscale": "targetScale"].merging(
        ["numToForceCoord", "softmaxForClassProb", "detectionThreshold", "forceCoordScale", "predictionNotAObjectScale", "coordScale",
         "predictionsPerGrid", "objectScale", "iouThreshold", "classScale", "maxLabelPerImage", "maxBoxes", "matchAnchorSize", "doSqrt",
         "classNumber", "gridNumber", "randomBoxes", "coordType", "yoloVersion"].map { ($0.lowercased(), $0) }) { a, _ in a }

    /// A layer's numeric rows as the table keeps them, sorted: its options (in CAS's spelling), plus what DLPy's
    /// `Model.from_table` reads that the options hold under other names — convolutions' `pad_top`/`pad_left` (CAS's
    /// padding height and width, −1 for CAS's "same"), a group convolution's `ngroups`, a transposed convolution's
    /// `outputpaddingheight`/`outputpaddingwidth`. Reading the table back
    /// gives the same model (`init`: the mirrors mean what the options say).
    static func tableNumbers(_ l: LayerSpec) -> [(String, Double)] {
        var numbers = l.numbers
        if [.convolution, .groupConvolution, .transposedConvolution].contains(l.kind),
           !["pad_top", "pad_left", "pad_bottom", "pad_right"].contains(where: { numbers[$0] != nil }) {
            let height = l.number("padheight") ?? l.number("padding"), width = l.number("padwidth") ?? l.number("padding")
            // only both or neither: one alone is CAS "same" (EngineGraph.padding)
            numbers["pad_top"] = height != nil && width != nil ? height : -1
            numbers["pad_left"] = height != nil && width != nil ? width : -1
        }
        if l.kind == .groupConvolution, let g = l.number("groups") { numbers["ngroups"] = g }
        if l.kind == .detection { numbers["yoloversion"] = 2 }   // DLPy reads the model type from this number
        if l.kind == .transposedConvolution, let p = l.number("outputpadding") {   // DLPy reads only the per-direction keys
            for key in ["outputpaddingheight", "outputpaddingwidth"] where l.number(key) == nil { numbers[key] = p }
        }
        return numbers.keys.sorted().map { (casSpelling[$0] ?? $0, numbers[$0]!) }
    }

    /// Reads a model table back; refuses tables that are not model tables, naming what is wrong.
    init(_ t: DataTable) throws(ActionError) {
        let cols = ["_DLKey0_", "_DLKey1_", "_DLChrVal_", "_DLNumVal_", "_DLLayerID_"].map { t.column($0) }
        guard cols.allSatisfy({ $0 != nil }) else {
            throw ActionError(.parameterValue, "Table \(t.name) is not a model table (it needs columns _DLKey0_, _DLKey1_, _DLChrVal_, _DLNumVal_, _DLLayerID_); build one with deepLearn.buildModel.",
                              parameter: "model")
        }
        let c = cols.map { $0!.data }
        modelName = t.name.lowercased()
        var byId: [Int: LayerSpec] = [:], sources: [Int: [(Int, String)]] = [:]
        for r in 0..<t.rowCount {
            let key0 = c[0].value(at: r).stringValue ?? "", key1 = c[1].value(at: r).stringValue ?? ""
            let chr = c[2].value(at: r).stringValue ?? "", num = c[3].double(at: r)
            guard let id = c[4].double(at: r).map(LayerSpec.whole) else {
                if key1 == "modeltype" { modelName = key0 }
                continue
            }
            if byId[id] == nil, byId.count >= Limits.maxModelLayers {
                throw ActionError(.parameterValue, "Model table \(t.name) has more than \(Limits.maxModelLayers) layers; that is the most a model may have.",
                                  parameter: "model")
            }
            if key1 == "layertype" {
                guard let kind = LayerKind(label: chr) else {
                    throw ActionError(.parameterValue, "Model table \(t.name): layer '\(key0)' has an unknown type \"\(chr)\".", parameter: "model")
                }
                let old = byId[id]
                byId[id] = LayerSpec(name: key0, kind: kind, sources: [], numbers: old?.numbers ?? [:], words: old?.words ?? [:])
            } else if key1.hasPrefix("srclayers.") {
                sources[id, default: []].append((Int(key1.dropFirst(10)) ?? 0, chr.lowercased()))
            } else if let dot = key1.firstIndex(of: ".") {
                var key = String(key1[key1.index(after: dot)...]).lowercased()
                if key == "ngroups", byId[id]?.kind == .groupConvolution { key = "groups" }   // tableNumbers' mirror for DLPy
                var s = byId[id] ?? LayerSpec(name: key0, kind: .input, sources: [])
                let wordKey = Enumerations.wordKey(key)
                if Enumerations.table[wordKey] != nil {
                    s.words[wordKey] = Enumerations.word(wordKey, label: chr) ?? chr.uppercased()
                } else if let num {
                    s.numbers[key] = num
                }
                byId[id] = s
            }
        }
        layers = try byId.keys.sorted().map { id throws(ActionError) in
            guard var s = byId[id] else { throw ActionError(.internalError, "missing layer \(id)") }
            s.sources = (sources[id] ?? []).sorted { $0.0 < $1.0 }.map(\.1)
            return s
        }
        guard layers.indices.elementsEqual(byId.keys.sorted()) else {
            throw ActionError(.parameterValue, "Model table \(t.name): layer ids must be 0, 1, 2, … without gaps.", parameter: "model")
        }
    }

    /// Output layers with their own fully connected part but no n (CAS: n comes from the target's levels).
    var outputsWithoutClasses: [String] {
        layers.filter { $0.kind == .output && $0.int("nofullconnect") != 1 && $0.int("n") == nil }.map(\.name)
    }

    /// The model with `n` set on every output layer that has none: `classes(layer)` gives it.
    func withClasses(_ classes: (String) -> Int?) -> ModelTable {
        var m = self
        let unsized = Set(outputsWithoutClasses)
        for i in m.layers.indices where unsized.contains(m.layers[i].name) {
            if let n = classes(m.layers[i].name) { m.layers[i].numbers["n"] = Double(n) }
        }
        return m
    }

    /// With n of outputs that have none taken from trained weights: the output's weight rows (`[n, inputs]`),
    /// else the number of target levels recorded by dlTrain.
    func withClasses(from w: WeightsTable) -> ModelTable {
        withClasses { name in
            w.tensors.first { $0.name == "\(name).weight" }?.shape.first ?? (w.levels.isEmpty ? nil : w.levels.count)
        }
    }

    init(modelName: String, layers: [LayerSpec]) {
        self.modelName = modelName
        self.layers = layers
    }
}
