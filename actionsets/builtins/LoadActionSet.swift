import CASCore
import CASWire

/// `builtins.loadActionSet`: enables an action set in this session.
struct LoadActionSet: Action {
    static let name = "loadActionSet"
    static let summary = "Loads an action set into the session so that its actions can be called."
    static let actionSet = P.string("actionSet", "Name of the action set to load.")
    static let parameters = [actionSet.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let reg = await ctx.server.currentRegistry()
        guard let set = reg.set(args[actionSet]) else {
            let msg = NearMiss.doesNotExist("Action set", args[actionSet], among: reg.sets.map(\.name))
            throw ActionError(.notFound, msg, parameter: "actionSet", details: ["Available action sets: \(reg.sets.map(\.name).joined(separator: ", "))."])
        }
        await ctx.session.load(set: set.name)
        ctx.note("Added action set '\(set.name)'.")
        return ["actionset": .string(set.name)]
    }
}
