import CASCore
import CASWire

/// `session.sessionName`: shows or changes the session's display name.
struct SessionName: Action {
    static let name = "sessionName"
    static let summary = "Shows the session's display name, or changes it when a name is given (names need not be unique)."
    static let newName = P.optionalString("name", "New display name.")
    static let parameters = [newName.spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if let n = args[newName] {
            try Names.check(n, .session, parameter: "name")
            await ctx.session.setName(n)
            ctx.note("The session name is now '\(n)'.")
        }
        return ["name": .string(await ctx.session.name)]
    }
}
