import CASWire

/// Describes declared parameters in CAS's reflect vocabulary, and renders help text and docs.
public enum Reflect {
    /// One parameter as `builtins.reflect` reports it.
    public static func describe(_ s: ParamSpec) -> Value {
        var d = ValueDict()
        d["name"] = .string(s.name)
        d["desc"] = .string(s.description)
        d["parmType"] = .string(s.type.reflectName)
        if s.isRequired { d["isRequired"] = .bool(true) }
        if let v = s.defaultValue { d["default"] = v }
        if let a = s.allowedValues { d["allowedValues"] = .list(a.map { .string($0) }) }
        if let lo = s.valueMin { d[s.exclusiveMin ? "exclusiveMin" : "valueMin"] = .double(lo) }
        if let hi = s.valueMax { d[s.exclusiveMax ? "exclusiveMax" : "valueMax"] = .double(hi) }
        if !s.aliases.isEmpty { d["aliases"] = .list(s.aliases.map { .string($0) }) }
        if s.hidden { d["hidden"] = .bool(true) }
        if s.isTableDef { d["isTableDef"] = .bool(true) }
        if s.isTableName { d["isTableName"] = .bool(true) }
        if s.isOutTableDef { d["isOutTableDef"] = .bool(true) }
        if s.isCasLib { d["isCasLib"] = .bool(true) }
        switch s.type {
        case .list(let item):
            d["isList"] = .bool(true)
            if case .dict(let sub) = item { d["exemplar"] = .list(sub.map(describe)) } else { d["itemType"] = .string(item.reflectName) }
        case .dict(let sub):
            d["parmList"] = .list(sub.map(describe))
        case .selector(let key, let alts):
            d["selector"] = .string(key)
            d["alternatives"] = .list(alts.map { a in
                ["name": .string(a.name), "desc": .string(a.description), "parmType": "value_list", "parmList": .list(a.parameters.map(describe))]
            })
        default: break
        }
        return .dict(d)
    }

    /// One action as reflect reports it.
    public static func describe(_ a: ActionDescriptor) -> Value {
        var d = ValueDict()
        d["name"] = .string(a.name)
        d["desc"] = .string(a.summary)
        if a.hidden { d["hidden"] = .bool(true) }
        d["params"] = .list(a.parameters.map(describe))
        return .dict(d)
    }

    /// One action set as reflect reports it.
    public static func describe(_ set: ActionSet, action: String? = nil, showHidden: Bool = false) -> Value {
        let actions = set.actions.filter { a in
            if let action { return a.name.lowercased() == action.lowercased() }
            return showHidden || !a.hidden
        }
        return ["name": .string(set.name), "label": .string(set.name), "desc": .string(set.summary), "actions": .list(actions.map(describe))]
    }

    // MARK: help text

    /// Help text for one action: its description and a line per parameter, nested lists indented.
    public static func helpLines(_ entry: ActionEntry) -> [String] {
        ["Action \(entry.fullName): \(entry.action.summary)", "Parameters:"] + entry.action.parameters.filter { !$0.hidden }.flatMap { paramLines($0, indent: "  ") }
            + [entry.action.scaleOut.help]
    }

    static func paramLines(_ s: ParamSpec, indent: String) -> [String] {
        var line = "\(indent)\(s.name) (\(typeWord(s)))"
        if s.isRequired { line += ", required" }
        if let d = s.defaultValue { line += ", default \(d.jsonString)" }
        if let r = rangeText(s) { line += ", \(r)" }
        if let a = s.allowedValues { line += ", one of \(a.joined(separator: " | "))" }
        line += " — \(s.description)"
        var out = [line]
        switch s.type {
        case .list(.dict) where s.isColumnList: break
        case .dict(let sub), .list(.dict(let sub)):
            out += sub.filter { !$0.hidden }.flatMap { paramLines($0, indent: indent + "    ") }
        case .selector(let key, let alts):
            for a in alts {
                out.append("\(indent)    \(key)=\"\(a.name)\": \(a.description)")
                out += a.parameters.filter { !$0.hidden && !$0.matches(key) }.flatMap { paramLines($0, indent: indent + "        ") }
            }
        default: break
        }
        return out
    }

    static func typeWord(_ s: ParamSpec) -> String {
        switch s.type {
        case .bool: "boolean"
        case .int: "integer"
        case .double: "double"
        case .string: s.isCasLib ? "caslib" : "string"
        case .blob: "blob"
        case .value: "value"
        case .list(let t): s.isColumnList ? "list of columns (names or {name=…})" : "list of \(t.humanPlural)"
        case .dict: s.isTableDef ? "table" : (s.isOutTableDef ? "output table" : "parameter list")
        case .selector(let key, _): "selector on \(key)"
        }
    }

    static func rangeText(_ s: ParamSpec) -> String? {
        switch (s.valueMin, s.valueMax) {
        case let (lo?, hi?): "\(Validator.fmt(lo)) to \(Validator.fmt(hi))"
        case let (lo?, nil): "\(s.exclusiveMin ? ">" : ">=") \(Validator.fmt(lo))"
        case let (nil, hi?): "\(s.exclusiveMax ? "<" : "<=") \(Validator.fmt(hi))"
        default: nil
        }
    }

    // MARK: docs

    /// The generated Markdown page for one action set (docs/actions/<set>.md).
    public static func markdown(_ set: ActionSet) -> String {
        var out = "<!-- Generated by `caslite docs` from the action declarations; do not edit. -->\n"
        out += "# \(set.name) action set\n\n\(set.summary)\n\n"
        if set.alwaysLoaded { out += "Always loaded in every session.\n\n" } else { out += "Load it with `builtins.loadActionSet actionSet=\"\(set.name)\"`.\n\n" }
        for a in set.actions where !a.hidden {
            out += "## \(set.name).\(a.name)\n\n\(a.summary)\n\n"
            if a.scaleOut != .controller { out += "\(a.scaleOut.help)\n\n" }   // the others: docs/scale-out.md says it once
            let params = a.parameters.filter { !$0.hidden }
            if params.isEmpty { out += "No parameters.\n\n"; continue }
            out += "| parameter | type | required | default | description |\n|---|---|---|---|---|\n"
            for p in params { out += markdownRows(p, prefix: "") }
            out += "\n"
        }
        return out
    }

    static func markdownRows(_ s: ParamSpec, prefix: String) -> String {
        var desc = s.description
        if let r = rangeText(s) { desc += " Range: \(r)." }
        if let a = s.allowedValues { desc += " One of: \(a.map { "`\($0)`" }.joined(separator: ", "))." }
        if !s.aliases.isEmpty { desc += " Aliases: \(s.aliases.joined(separator: ", "))." }
        let dflt = s.defaultValue.map { "`\($0.jsonString)`" } ?? ""
        var out = "| `\(prefix)\(s.name)` | \(typeWord(s)) | \(s.isRequired ? "yes" : "") | \(dflt) | \(desc.replacingPipes) |\n"
        switch s.type {
        case .list(.dict) where s.isColumnList: break
        case .dict(let sub), .list(.dict(let sub)):
            for p in sub where !p.hidden { out += markdownRows(p, prefix: "\(prefix)\(s.name).") }
        case .selector(let key, let alts):
            for a in alts {
                out += "| `\(prefix)\(s.name).\(key)=\"\(a.name)\"` | | | | \(a.description.replacingPipes) |\n"
                for p in a.parameters where !p.hidden && !p.matches(key) { out += markdownRows(p, prefix: "\(prefix)\(s.name)[\(a.name)].") }
            }
        default: break
        }
        return out
    }
}

extension String {
    var replacingPipes: String { split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }
}
