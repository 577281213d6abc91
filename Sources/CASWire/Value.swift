/// A dynamically typed value: what parameters, results and table cells are made of.
///
/// Dictionaries keep their insertion order (CAS results are ordered) and look keys up
/// case-insensitively, as CAS does for parameter and result names.
public enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case blob([UInt8])
    case list([Value])
    case dict(ValueDict)
    case table(DataTable)
}

extension Value {
    /// The CAS-style name of this value's type, used in error messages ("expected an integer, got a string").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "double"
        case .string: "string"
        case .blob: "blob"
        case .list: "list"
        case .dict: "dictionary"
        case .table: "table"
        }
    }

    public var isNull: Bool { if case .null = self { true } else { false } }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var listValue: [Value]? { if case .list(let l) = self { l } else { nil } }
    public var dictValue: ValueDict? { if case .dict(let d) = self { d } else { nil } }
    public var tableValue: DataTable? { if case .table(let t) = self { t } else { nil } }
    public var blobValue: [UInt8]? { if case .blob(let b) = self { b } else { nil } }

    /// The value as an integer when that is lossless (4 and 4.0 both give 4).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d):
            guard d.isFinite, d == d.rounded(), abs(d) < 9.007_199_254_740_992e15 else { return nil }
            return Int64(d)
        default: return nil
        }
    }

    /// The value as a double (integers widen).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// Member lookup for dictionaries (case-insensitive); `.null` otherwise.
    public subscript(key: String) -> Value {
        if case .dict(let d) = self { return d[key] ?? .null }
        return .null
    }

    /// Element lookup for lists; `.null` when out of range.
    public subscript(index: Int) -> Value {
        if case .list(let l) = self, l.indices.contains(index) { return l[index] }
        return .null
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) { self = .dict(ValueDict(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

/// An insertion-ordered dictionary with case-insensitive key lookup that preserves the given case.
public struct ValueDict: Sendable, Equatable, Sequence {
    public private(set) var entries: [(key: String, value: Value)] = []

    public init() {}
    public init(_ pairs: [(String, Value)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    /// Index of a key, compared case-insensitively.
    public func index(of key: String) -> Int? {
        let lower = key.lowercased()
        return entries.firstIndex { $0.key == key || $0.key.lowercased() == lower }
    }

    public subscript(key: String) -> Value? {
        get { index(of: key).map { entries[$0].value } }
        set {
            if let i = index(of: key) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append((key, v))
            }
        }
    }

    /// Appends without checking for an existing key (used by the JSON parser to detect duplicates later).
    public mutating func appendUnchecked(_ key: String, _ value: Value) { entries.append((key, value)) }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Value)]> { entries.makeIterator() }

    public static func == (a: ValueDict, b: ValueDict) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension ValueDict: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Value)...) { self.init(elements) }
}
