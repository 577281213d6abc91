import CASWire

/// Validated parameters of one call: canonical names, coerced values, defaults filled in.
public struct Args: Sendable, Equatable {
    public let values: ValueDict

    public init(_ values: ValueDict) { self.values = values }

    /// The typed value of a declared parameter.
    public subscript<T>(_ p: Param<T>) -> T { p.read(values[p.spec.name] ?? .null) }

    /// Raw access by name (case-insensitive), for generic walks over every given option and for
    /// user-defined (CASL) actions whose parameters are only known at run time. Declared actions read
    /// through their `Param` keys (docs/decisions/009-typed-parameters.md).
    public subscript(_ name: String) -> Value { values[name] ?? .null }

    /// Whether the caller gave the parameter (or it has a default).
    public func has<T>(_ p: Param<T>) -> Bool { !(values[p.spec.name] ?? .null).isNull }
}
