import CASCore
import CASWire

/// `builtins.queryName`: whether a name is an action set or an action (and which).
struct QueryName: Action {
    static let name = "queryName"
    static let summary = "Checks whether a name is an action or an action set; empty results when it is neither."
    static let name_ = P.string("name", "Name to look up: `set`, `set.action` or a bare action name.")
    static let parameters = [name_.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let reg = await ctx.server.currentRegistry()
        let n = args[name_]
        if let set = reg.set(n) { return ["actionSet": .string(set.name)] }
        let all = Set(reg.sets.map { $0.name.lowercased() })
        if let e = try? reg.resolve(n, loaded: all) { return ["actionSet": .string(e.setName), "action": .string(e.action.name)] }
        return ValueDict()
    }
}
