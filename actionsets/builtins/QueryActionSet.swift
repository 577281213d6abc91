import CASCore
import CASWire

/// `builtins.queryActionSet`: whether an action set is loaded in this session.
struct QueryActionSet: Action {
    static let name = "queryActionSet"
    static let summary = "Shows whether an action set is loaded in the session."
    static let actionSet = P.string("actionSet", "Name of the action set.")
    static let parameters = [actionSet.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let loaded = await ctx.session.loadedSets.contains(args[actionSet].lowercased())
        return [args[actionSet]: .bool(loaded)]
    }
}
