import CASWire
import CheckedSize

/// A typed parameter key: its spec is the declaration, its getter reads the validated value.
///
/// ```swift
/// static let from = P.int("from", "First row to fetch (1-based).", default: 1, min: 1)
/// …
/// let first = args[Self.from]   // Int
/// ```
public struct Param<T: Sendable>: Sendable {
    public let spec: ParamSpec
    let read: @Sendable (Value) -> T

    public init(spec: ParamSpec, read: @escaping @Sendable (Value) -> T) {
        self.spec = spec
        self.read = read
    }

    /// A copy with a changed spec (modifiers such as `.required()`).
    public func with(_ change: (inout ParamSpec) -> Void) -> Param<T> {
        var s = spec
        change(&s)
        return Param(spec: s, read: read)
    }

    /// The same declaration read as another type (`P.table` reads its group as a `TableRef`).
    public func map<U: Sendable>(_ transform: @escaping @Sendable (T) -> U) -> Param<U> {
        let read = self.read
        return Param<U>(spec: spec) { transform(read($0)) }
    }

    public func aliases(_ names: String...) -> Param<T> { with { $0.aliases += names } }
    public func hidden() -> Param<T> { with { $0.hidden = true } }
    /// A string parameter that may be longer than `Limits.maxStringParameter` (a program, a query).
    public func text(maxBytes: Int) -> Param<T> { with { $0.maxBytes = maxBytes } }
    /// A string parameter holding a program (a script, an expression): up to `Limits.maxProgramParameter` bytes.
    public func program() -> Param<T> { text(maxBytes: Limits.maxProgramParameter) }
}

/// Parameter factories. Every action declares its parameters with these.
public enum P {
    public static func bool(_ name: String, _ description: String, default d: Bool) -> Param<Bool> {
        var s = ParamSpec(name: name, description: description, type: .bool)
        s.defaultValue = .bool(d)
        return Param(spec: s) { $0.boolValue ?? d }
    }

    public static func int(_ name: String, _ description: String, default d: Int, min: Int? = nil, max: Int? = nil) -> Param<Int> {
        var s = ParamSpec(name: name, description: description, type: .int)
        s.defaultValue = .int(Int64(d))
        s.valueMin = min.map(Double.init)
        s.valueMax = max.map(Double.init)
        return Param(spec: s) { $0.intValue.map { Int($0) } ?? d }
    }

    /// A boolean without a default: nil when not given.
    public static func optionalBool(_ name: String, _ description: String) -> Param<Bool?> {
        Param(spec: ParamSpec(name: name, description: description, type: .bool)) { $0.boolValue }
    }

    public static func optionalInt(_ name: String, _ description: String, min: Int? = nil, max: Int? = nil, required: Bool = false) -> Param<Int?> {
        var s = ParamSpec(name: name, description: description, type: .int)
        s.valueMin = min.map(Double.init)
        s.valueMax = max.map(Double.init)
        s.isRequired = required
        return Param(spec: s) { $0.intValue.map { Int($0) } }
    }

    public static func double(_ name: String, _ description: String, default d: Double, min: Double? = nil, max: Double? = nil,
                              exclusiveMin: Bool = false) -> Param<Double> {
        var s = ParamSpec(name: name, description: description, type: .double)
        s.defaultValue = .double(d)
        s.valueMin = min
        s.valueMax = max
        s.exclusiveMin = exclusiveMin
        return Param(spec: s) { $0.doubleValue ?? d }
    }

    public static func optionalDouble(_ name: String, _ description: String, min: Double? = nil, max: Double? = nil) -> Param<Double?> {
        var s = ParamSpec(name: name, description: description, type: .double)
        s.valueMin = min
        s.valueMax = max
        return Param(spec: s) { $0.doubleValue }
    }

    /// A required string.
    public static func string(_ name: String, _ description: String, allowed: [String]? = nil) -> Param<String> {
        var s = ParamSpec(name: name, description: description, type: .string)
        s.isRequired = true
        s.allowedValues = allowed
        return Param(spec: s) { $0.stringValue ?? "" }
    }

    /// A string with a default.
    public static func string(_ name: String, _ description: String, default d: String, allowed: [String]? = nil) -> Param<String> {
        var s = ParamSpec(name: name, description: description, type: .string)
        s.defaultValue = .string(d)
        s.allowedValues = allowed
        return Param(spec: s) { $0.stringValue ?? d }
    }

    public static func optionalString(_ name: String, _ description: String, allowed: [String]? = nil) -> Param<String?> {
        var s = ParamSpec(name: name, description: description, type: .string)
        s.allowedValues = allowed
        return Param(spec: s) { $0.stringValue }
    }

    /// A caslib name (`isCasLib` in reflect).
    public static func caslib(_ name: String = "caslib", _ description: String = "Caslib to use; the session's active caslib when omitted.") -> Param<String?> {
        optionalString(name, description).with { $0.isCasLib = true }
    }

    /// A list of strings (a single string stands for a one-item list); `allowed` applies to every item.
    public static func stringList(_ name: String, _ description: String, required: Bool = false, allowed: [String]? = nil) -> Param<[String]> {
        var s = ParamSpec(name: name, description: description, type: .list(.string))
        s.isRequired = required
        s.allowedValues = allowed
        return Param(spec: s) { v in v.listValue?.compactMap(\.stringValue) ?? [] }
    }

    /// A list of integers; the range applies to every item.
    public static func intList(_ name: String, _ description: String, min: Int? = nil, max: Int? = nil) -> Param<[Int]> {
        var s = ParamSpec(name: name, description: description, type: .list(.int))
        s.valueMin = min.map(Double.init)
        s.valueMax = max.map(Double.init)
        return Param(spec: s) { v in v.listValue?.compactMap { $0.intValue.map { Int($0) } } ?? [] }
    }

    /// A list of numbers; the range applies to every item.
    public static func doubleList(_ name: String, _ description: String, default d: [Double]? = nil, min: Double? = nil,
                                  max: Double? = nil) -> Param<[Double]> {
        var s = ParamSpec(name: name, description: description, type: .list(.double))
        s.defaultValue = d.map { .list($0.map(Value.double)) }
        s.valueMin = min
        s.valueMax = max
        return Param(spec: s) { v in v.listValue?.compactMap(\.doubleValue) ?? d ?? [] }
    }

    public static func blob(_ name: String, _ description: String, required: Bool = true) -> Param<[UInt8]?> {
        var s = ParamSpec(name: name, description: description, type: .blob)
        s.isRequired = required
        return Param(spec: s) { $0.blobValue }
    }

    /// A list of values, each unchecked (a single value stands for a one-item list).
    public static func valueList(_ name: String, _ description: String) -> Param<[Value]> {
        Param(spec: ParamSpec(name: name, description: description, type: .list(.value))) { $0.listValue ?? [] }
    }

    /// Any value, unchecked.
    public static func value(_ name: String, _ description: String, required: Bool = false) -> Param<Value> {
        var s = ParamSpec(name: name, description: description, type: .value)
        s.isRequired = required
        return Param(spec: s) { $0 }
    }

    /// A nested parameter list, read as `Args`.
    public static func dict(_ name: String, _ description: String, _ params: [ParamSpec], required: Bool = false) -> Param<Args?> {
        var s = ParamSpec(name: name, description: description, type: .dict(params))
        s.isRequired = required
        return Param(spec: s) { v in v.dictValue.map { Args($0) } }
    }

    /// A list of nested parameter lists.
    public static func dictList(_ name: String, _ description: String, _ params: [ParamSpec], required: Bool = false) -> Param<[Args]> {
        var s = ParamSpec(name: name, description: description, type: .list(.dict(params)))
        s.isRequired = required
        return Param(spec: s) { v in v.listValue?.compactMap { $0.dictValue.map { Args($0) } } ?? [] }
    }

    /// A selector union: `{type="conv", …}` picks an alternative's parameter list; reads as the
    /// chosen alternative's declared name and its arguments.
    public static func selector(_ name: String, _ description: String, key: String, _ alternatives: [ParamType.Alternative],
                                required: Bool = true) -> Param<Selection?> {
        var s = ParamSpec(name: name, description: description, type: .selector(key: key, alternatives: alternatives))
        s.isRequired = required
        return Param(spec: s) { v in v.dictValue.map { Selection(alternative: $0[key]?.stringValue ?? "", args: Args($0)) } }
    }
}

extension Param {
    /// Marks the parameter as required (no default).
    public func required() -> Param<T> { with { $0.isRequired = true; $0.defaultValue = nil } }
}
