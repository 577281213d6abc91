import CASCore
import CASWire

/// What Tab completes in `caslite shell`: the first word from the shell's commands and the action names,
/// later words from the action's parameter names (`casOut.name=`), and values of table parameters
/// (`table=`, `table.name=`, `name=`) from the session's table names. Matching ignores case.
struct Completion: Sendable {
    /// `set.action` names and the shell's own commands.
    var commands: [String] = []
    /// Parameter paths (`table`, `table.name`, …) by lower-cased action name (`set.action` and bare).
    var parameters: [String: [String]] = [:]
    /// Table names the session sees.
    var tables: [String] = []

    static let shellCommands = ["help", "history", "quit", "exit"]

    /// The action names and parameters of `sets`.
    init(sets: [ActionSet] = [], tables: [String] = []) {
        commands = Self.shellCommands
        for set in sets {
            for a in set.actions where !a.hidden {
                let full = "\(set.name).\(a.name)"
                commands.append(full)
                let paths = Self.paths(a.parameters)
                parameters[full.lowercased()] = paths
                if parameters[a.name.lowercased()] == nil { parameters[a.name.lowercased()] = paths }
            }
        }
        self.tables = tables
    }

    /// Adds the actions `builtins.reflect` describes (the session's loaded sets, user-defined ones among them).
    mutating func add(reflected results: ValueDict) {
        for (setName, set) in results {
            guard case .list(let actions) = set["actions"] else { continue }
            for action in actions {
                guard case .string(let name) = action["name"] else { continue }
                let full = "\(setName).\(name)"
                guard parameters[full.lowercased()] == nil else { continue }
                commands.append(full)
                parameters[full.lowercased()] = Self.paths(reflected: action["params"])
            }
        }
    }

    /// Parameter paths of a reflected `params` list (`parmList` holds a dictionary's members).
    static func paths(reflected params: Value, prefix: String = "") -> [String] {
        guard case .list(let list) = params else { return [] }
        return list.flatMap { p -> [String] in
            guard case .string(let name) = p["name"] else { return [] }
            return [prefix + name] + (prefix.isEmpty ? paths(reflected: p["parmList"], prefix: name + ".") : [])
        }
    }

    /// Top-level parameters and the members of dictionary parameters, as dotted paths.
    static func paths(_ specs: [ParamSpec], prefix: String = "") -> [String] {
        specs.filter { !$0.hidden }.flatMap { spec -> [String] in
            let path = prefix + spec.name
            if case .dict(let inner) = spec.type, prefix.isEmpty { return [path] + paths(inner, prefix: path + ".") }
            return [path]
        }
    }

    /// The completions of `word`, the text typed after `before` on the line.
    func candidates(before: String, word: String) -> [String] {
        let earlier = ParamSyntax.words(before)
        guard let action = earlier.first else { return Self.matching(word, commands) }
        if action.lowercased() == "help" { return Self.matching(word, commands.filter { !Self.shellCommands.contains($0) }) }
        if let eq = word.firstIndex(of: "=") {
            let key = word[..<eq].lowercased()
            guard key == "name" || key == "table" || key.hasSuffix(".name") && key.hasPrefix("table") else { return [] }
            let head = String(word[...eq])
            return Self.matching(String(word[word.index(after: eq)...]), tables).map { head + $0 }
        }
        let params = parameters[action.lowercased()] ?? []
        return Self.matching(word, params).map { $0 + "=" }
    }

    static func matching(_ prefix: String, _ names: [String]) -> [String] {
        let p = prefix.lowercased()
        return names.filter { $0.lowercased().hasPrefix(p) }.sorted()
    }
}
