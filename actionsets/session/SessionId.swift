import CASCore
import CASWire

/// `session.sessionId`: the session's name and UUID.
struct SessionId: Action {
    static let name = "sessionId"
    static let summary = "Shows the name and UUID of the current session."
    static let parameters: [ParamSpec] = []
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let name = await ctx.session.name
        ctx.note("\(name):\(ctx.session.id)")
        return ["session": .string("\(name):\(ctx.session.id)"), "uuid": .string(ctx.session.id), "name": .string(name)]
    }
}
