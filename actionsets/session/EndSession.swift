import CASCore
import CASWire

/// `session.endSession`: ends this session, or (for an admin or the owner) another one by UUID.
struct EndSession: Action {
    static let name = "endSession"
    static let summary = "Ends the current session (or the session given by uuid, for its owner or an administrator); its tables are dropped."
    static let uuid = P.optionalString("uuid", "UUID of another session to end.")
    static let parameters = [uuid.spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let target: Session
        if let id = args[uuid], id.lowercased() != ctx.session.id {
            guard let s = await ctx.server.sessions.session(id) else {
                throw ActionError.notFound("Session '\(id)' does not exist.", parameter: "uuid")
            }
            guard AccessControl.mayManageSession(owner: s.user, user: ctx.user, isAdmin: ctx.session.isAdmin) else {
                throw ActionError(.accessDenied, "Only its owner or an administrator can end session '\(id)'.", parameter: "uuid")
            }
            target = s
        } else {
            target = ctx.session
        }
        ctx.note("Ending session \(target.id).")
        if target === ctx.session {
            // Our own session: end it after this response is sent (the dispatcher still holds it).
            let server = ctx.server
            Task { await server.sessions.remove(target.id) }
        } else {
            await ctx.server.sessions.remove(target.id)
        }
        return ["uuid": .string(target.id)]
    }
}
