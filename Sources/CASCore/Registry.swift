import CASWire

/// Every action set the server knows, built and validated once at start; immutable afterwards.
public struct Registry: Sendable {
    public let sets: [ActionSet]
    private let byFullName: [String: ActionEntry]
    private let setsByName: [String: ActionSet]

    /// Builds the registry and checks it: unique set and action names, non-empty descriptions,
    /// unique parameter names, defaults of the declared type and within ranges and allowed values.
    public init(_ sets: [ActionSet]) throws(RegistryError) {
        var full: [String: ActionEntry] = [:]
        var byName: [String: ActionSet] = [:]
        for set in sets {
            let key = set.name.lowercased()
            guard byName[key] == nil else { throw RegistryError("action set '\(set.name)' is registered twice") }
            guard !set.summary.isEmpty else { throw RegistryError("action set '\(set.name)' has no description") }
            byName[key] = set
            for a in set.actions {
                let entry = ActionEntry(setName: set.name, action: a)
                guard full[entry.fullName.lowercased()] == nil else { throw RegistryError("action '\(entry.fullName)' is registered twice") }
                guard !a.summary.isEmpty else { throw RegistryError("action '\(entry.fullName)' has no description") }
                try Self.check(a.parameters, in: entry.fullName)
                full[entry.fullName.lowercased()] = entry
            }
        }
        self.sets = sets
        self.byFullName = full
        self.setsByName = byName
    }

    static func check(_ specs: [ParamSpec], in where_: String) throws(RegistryError) {
        var names = Set<String>()
        for s in specs {
            for n in [s.name] + s.aliases {
                guard names.insert(n.lowercased()).inserted else { throw RegistryError("\(where_): parameter '\(n)' is declared twice") }
            }
            guard !s.description.isEmpty else { throw RegistryError("\(where_): parameter '\(s.name)' has no description") }
            if let d = s.defaultValue {
                do { _ = try Validator.coerce(d, s.type, spec: s, path: s.name) } catch {
                    throw RegistryError("\(where_): default of '\(s.name)' is invalid: \(error.message)")
                }
            }
            switch s.type {
            case .dict(let sub): try check(sub, in: "\(where_).\(s.name)")
            case .list(.dict(let sub)): try check(sub, in: "\(where_).\(s.name)")
            case .selector(let key, let alts):
                guard !alts.isEmpty else { throw RegistryError("\(where_): selector '\(s.name)' has no alternatives") }
                for a in alts {
                    guard !a.description.isEmpty else { throw RegistryError("\(where_).\(s.name): alternative '\(a.name)' has no description") }
                    try check(a.parameters.filter { !$0.matches(key) }, in: "\(where_).\(s.name)[\(key)=\(a.name)]")
                }
            default: break
            }
        }
    }

    /// A registry over sets that were already checked (compiled sets plus validated user-defined ones).
    init(checked sets: [ActionSet]) {
        var full: [String: ActionEntry] = [:]
        var byName: [String: ActionSet] = [:]
        for set in sets {
            byName[set.name.lowercased()] = set
            for a in set.actions { full["\(set.name).\(a.name)".lowercased()] = ActionEntry(setName: set.name, action: a) }
        }
        self.sets = sets
        self.byFullName = full
        self.setsByName = byName
    }

    /// Looks up `set.action` (case-insensitive).
    public func entry(_ fullName: String) -> ActionEntry? { byFullName[fullName.lowercased()] }

    public func set(_ name: String) -> ActionSet? { setsByName[name.lowercased()] }

    /// Resolves a name as a client wrote it: `set.action`, or a bare action name searched in
    /// the given loaded sets (as SWAT allows), in set order.
    public func resolve(_ name: String, loaded: Set<String>) throws(ActionError) -> ActionEntry {
        try Self.resolve(name, in: sets, loaded: loaded)
    }

    /// Resolution over any list of sets (compiled and user-defined together).
    public static func resolve(_ name: String, in sets: [ActionSet], loaded: Set<String>) throws(ActionError) -> ActionEntry {
        func find(_ n: String) -> ActionSet? { sets.first { $0.name.lowercased() == n.lowercased() } }
        if let dot = name.firstIndex(of: ".") {
            let setPart = String(name[..<dot]), actionPart = String(name[name.index(after: dot)...])
            guard let set = find(setPart) else {
                throw ActionError(.actionUnknown, NearMiss.doesNotExist("Action set", setPart, among: sets.map(\.name)))
            }
            guard let a = set.actions.first(where: { $0.name.lowercased() == actionPart.lowercased() }) else {
                throw ActionError(.actionUnknown, NearMiss.doesNotExist("Action", name, among: set.actions.map { "\(set.name).\($0.name)" }))
            }
            guard loaded.contains(set.name.lowercased()) else {
                throw ActionError(.actionSetNotLoaded,
                                  "Action set '\(set.name)' is not loaded in this session; run builtins.loadActionSet actionSet=\"\(set.name)\" first.")
            }
            return ActionEntry(setName: set.name, action: a)
        }
        for s in sets where loaded.contains(s.name.lowercased()) {
            if let a = s.actions.first(where: { $0.name.lowercased() == name.lowercased() }) { return ActionEntry(setName: s.name, action: a) }
        }
        let all = sets.filter { loaded.contains($0.name.lowercased()) }.flatMap { $0.actions.map(\.name) }
        throw ActionError(.actionUnknown, NearMiss.doesNotExist("Action", name, in: "any loaded action set", among: all))
    }

    /// Names of sets every session has enabled.
    public var alwaysLoaded: Set<String> { Set(sets.filter(\.alwaysLoaded).map { $0.name.lowercased() }) }
}

/// The registry is inconsistent: a programming error found at start.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { "registry: \(message)" }
}
