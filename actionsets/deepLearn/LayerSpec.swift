import CASCore
import CASWire

/// One layer of a deepLearn model as the model table stores it: CAS option names (lower-case),
/// numeric options as numbers, enumerated options (act, init, pool, error, std) as upper-case words.
struct LayerSpec: Sendable, Equatable {
    var name: String
    var kind: LayerKind
    var sources: [String]
    /// Numeric options: `nfilters`, `width`, `stride`, `offsets.0`, `pad_top` …
    var numbers: [String: Double] = [:]
    /// Enumerated options: `act` = "RELU", `pool` = "MAX", `init` = "XAVIER" …
    var words: [String: String] = [:]

    func number(_ key: String) -> Double? { numbers[key] }
    func int(_ key: String) -> Int? { numbers[key].map(Self.whole) }
    /// A model-table number as an Int without trapping: truncated toward zero; beyond Int's range (1e300,
    /// infinity, NaN) it saturates, so the engine's size checks refuse it with a clear error.
    static func whole(_ d: Double) -> Int { Int(exactly: d.rounded(.towardZero)) ?? (d < 0 ? Int.min : Int.max) }
    func word(_ key: String) -> String? { words[key] }

    /// Values `key.0`, `key.1`, … in order (offsets, per-channel std).
    func list(_ key: String) -> [Double]? {
        var out: [Double] = []
        while let v = numbers["\(key).\(out.count)"] { out.append(v) }
        return out.isEmpty ? nil : out
    }

    mutating func setList(_ key: String, _ values: [Double]) {
        for (i, v) in values.enumerated() { numbers["\(key).\(i)"] = v }
    }
}
