import CASCore
import CASWire

/// `builtins.listActions`: the actions of one set, or of every loaded set.
struct ListActions: Action {
    static let name = "listActions"
    static let summary = "Lists the actions of an action set, or of every loaded action set."
    static let actionSet = P.optionalString("actionSet", "Only this action set.")
    static let parameters = [actionSet.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let reg = await ctx.server.currentRegistry()
        let loaded = await ctx.session.loadedSets
        let sets: [ActionSet]
        if let s = args[actionSet] {
            guard let set = reg.set(s) else { throw ActionError.notFound("Action set '\(s)' does not exist.", parameter: "actionSet") }
            sets = [set]
        } else {
            sets = reg.sets.filter { loaded.contains($0.name.lowercased()) }
        }
        var r = ValueDict()
        for set in sets { r[set.name] = .table(Help.listing(set, only: nil)) }
        return r
    }
}
