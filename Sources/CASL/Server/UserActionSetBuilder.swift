import CASCore
import CASWire

/// Turns `builtins.defineActionSet` parameters into an `ActionSet` whose actions run CASL bodies,
/// and registers it with the server. Shared by the action and by loading definition files.
public enum UserActionSetBuilder {
    /// Parameter types a user-defined action may declare.
    public static let parmTypes = ["string", "int", "double", "boolean", "list", "dict", "any"]

    public static let name = P.string("name", "Name of the action set (letters, digits and _; not a built-in set's name).")
    public static let label = P.optionalString("label", "Description of the action set (help and reflect show it).")
    public static let actions = P.dictList("actions", "The actions of the set.", [
        P.string("name", "Name of the action.").spec,
        P.optionalString("desc", "Description of the action.").spec,
        P.dictList("parms", "The action's parameters.", [
            P.string("name", "Name of the parameter.").spec,
            P.string("type", "Type of the parameter.", default: "any", allowed: parmTypes).spec,
            P.bool("required", "Whether the parameter must be given.", default: false).spec,
            P.value("default", "Value used when the parameter is not given.").spec,
            P.optionalString("desc", "Description of the parameter.").spec,
        ]).spec,
        P.string("definition", "The action's body in CASL; parameters are variables; results go back with send_response(dict).").program().spec,
    ], required: true)
    public static let parameters = [name.spec, label.spec, actions.spec]

    /// Builds and registers a set from validated parameters; returns it. `owner` is the user who
    /// defined it (nil: unowned, or an operator's definition file when `fromOperatorFolder`).
    @discardableResult
    public static func define(_ params: ValueDict, server: ServerContext, owner: String?, fromOperatorFolder: Bool) async throws(ActionError) -> ActionSet {
        let set = try build(params)
        try await server.userSets.define(set, compiled: server.registry, owner: owner, fromOperatorFolder: fromOperatorFolder)
        return set
    }

    /// Builds and registers a set defined by `user` (see `UserActionSets.define(_:compiled:by:isAdmin:)`);
    /// returns it and its owner.
    public static func define(_ params: ValueDict, server: ServerContext, by user: String, isAdmin: Bool) async throws(ActionError) -> (ActionSet, String?) {
        let set = try build(params)
        let owner = try await server.userSets.define(set, compiled: server.registry, by: user, isAdmin: isAdmin)
        return (set, owner)
    }

    /// Builds a set from validated parameters, compiling every body (syntax errors name the action and position).
    public static func build(_ params: ValueDict) throws(ActionError) -> ActionSet {
        let args = Args(params)
        let setName = args[name]
        try Names.check(setName, .actionSet, parameter: "name")  // it becomes the file <name>.casl
        guard isName(setName) else {
            throw ActionError(.parameterValue, "Action set name '\(setName)' must start with a letter or _ and hold only letters, digits and _.", parameter: "name")
        }
        let list = args[actions]
        guard !list.isEmpty else { throw ActionError(.parameterValue, "Parameter 'actions' must define at least one action.", parameter: "actions") }
        var descriptors: [ActionDescriptor] = []
        for (i, a) in list.enumerated() { descriptors.append(try descriptor(a, path: "actions[\(i + 1)]")) }
        let summary = args[label].flatMap { $0.isEmpty ? nil : $0 } ?? "User-defined action set \(setName)."
        return ActionSet(name: setName, summary: summary, userDefined: true, descriptors: descriptors)
    }

    static func isName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, Lexer.isIdentStart(f) else { return false }
        return s.unicodeScalars.allSatisfy { Lexer.isIdentStart($0) || Lexer.isDigit($0) }
    }

    static func descriptor(_ a: Args, path: String) throws(ActionError) -> ActionDescriptor {
        let actionName = a["name"].stringValue ?? ""
        try Names.check(actionName, .actionSet, parameter: "\(path).name")
        guard isName(actionName) else {
            throw ActionError(.parameterValue, "Action name '\(actionName)' must start with a letter or _ and hold only letters, digits and _.", parameter: "\(path).name")
        }
        let code = a["definition"].stringValue ?? ""
        let program = try CASLScript.compile(code, parameter: "\(path).definition")
        let parms = (a["parms"].listValue ?? []).compactMap(\.dictValue)
        let specs = parms.map(spec)
        let summary = a["desc"].stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "User-defined action \(actionName)."
        let dictParams = Set(parms.filter { $0["type"]?.stringValue == "dict" }.compactMap { $0["name"]?.stringValue })
        return ActionDescriptor(name: actionName, summary: summary, parameters: specs) { args, ctx in
            var vars = ValueDict()
            for s in specs {
                let v = args.values[s.name] ?? .null
                if dictParams.contains(s.name), !v.isNull, v.dictValue == nil {
                    throw ActionError(.parameterType, "Parameter '\(s.name)' expects a dictionary, but got \(v.typeName).", parameter: s.name)
                }
                vars.appendUnchecked(s.name, v)
            }
            return try await CASLScript.run(program, source: code, in: ctx, vars: vars)
        }
    }

    /// A declared parameter; `dict` parameters are checked when the action runs.
    static func spec(_ p: ValueDict) -> ParamSpec {
        let n = p["name"]?.stringValue ?? ""
        let typeName = p["type"]?.stringValue ?? "any"
        let type: ParamType
        switch typeName {
        case "string": type = .string
        case "int": type = .int
        case "double": type = .double
        case "boolean": type = .bool
        case "list": type = .list(.value)
        default: type = .value
        }
        let desc = p["desc"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "Parameter \(n)."
        var s = ParamSpec(name: n, description: desc, type: type)
        s.isRequired = p["required"]?.boolValue ?? false
        if let d = p["default"], !d.isNull { s.defaultValue = d }
        return s
    }
}
