import CASWire

/// A nested parameter list declared once, as typed keys (docs/decisions/009-typed-parameters.md):
/// a namespace of static `Param`s and the list of their specs. Validation, help, reflect and docs
/// walk `parameters`; the action reads the group's `Args` through the same keys, so every field's
/// name, type, default, range and allowed values are written in one place.
///
/// ```swift
/// enum Algorithm: ParamGroup {
///     static let learningRate = P.double("learningRate", "Base learning rate.", default: 0.001, min: 0)
///     static let parameters = [learningRate.spec]
/// }
/// static let algorithm = P.group("algorithm", "The SGD variant.", Algorithm.self)
/// …
/// let rate = args[algorithm][Algorithm.learningRate]   // 0.001 when not given
/// ```
public protocol ParamGroup {
    /// The group's parameters, in the order help and docs list them.
    static var parameters: [ParamSpec] { get }
}

extension P {
    /// A nested parameter list declared by a group. It reads as the group's `Args` — empty when the
    /// caller gave none, so every field then reads as its declared default; `Args.has` tells whether it was given.
    public static func group<G: ParamGroup>(_ name: String, _ description: String, _ group: G.Type, required: Bool = false) -> Param<Args> {
        var s = ParamSpec(name: name, description: description, type: .dict(G.parameters))
        s.isRequired = required
        return Param(spec: s) { Args($0.dictValue ?? ValueDict()) }
    }

    /// A list of nested parameter lists declared by a group (`sortBy={{name="x"}, …}`).
    public static func groupList<G: ParamGroup>(_ name: String, _ description: String, _ group: G.Type,
                                                required: Bool = false) -> Param<[Args]> {
        var s = ParamSpec(name: name, description: description, type: .list(.dict(G.parameters)))
        s.isRequired = required
        return Param(spec: s) { v in v.listValue?.map { Args($0.dictValue ?? ValueDict()) } ?? [] }
    }
}

extension ParamType.Alternative {
    /// A selector alternative whose parameters are a declared group.
    public init<G: ParamGroup>(_ name: String, _ description: String, _ group: G.Type) {
        self.init(name, description, G.parameters)
    }
}
