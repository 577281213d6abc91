import CASCore
import CASStorage
import CASWire

/// What the group actions share: the administrator check, the declared parameters and the store's
/// errors turned into action errors.
enum GroupActions {
    static let group = P.string("group", "Group name (ASCII letters, digits, '_', '-', '.'; case-insensitive).")
    static let user = P.string("user", "User name (a user of `caslite users`).")

    /// Refuses callers without the administrator role: groups decide who may read what.
    static func requireAdmin(_ ctx: ActionContext, _ action: String) throws(ActionError) {
        guard ctx.isAdmin else {
            throw ActionError(.accessDenied, "Only an administrator may \(action); ask one, or see your own groups with builtins.userInfo.")
        }
    }

    /// The validated group name of `args`, once the caller is known to be an administrator.
    static func groupName(_ args: Args, _ ctx: ActionContext, to action: String) throws(ActionError) -> String {
        try requireAdmin(ctx, action)
        let name = args[group]
        try Names.check(name, .group, parameter: "group")
        return name
    }

    /// The validated group and user names of `args` (addGroupMember, removeGroupMember), for an administrator.
    static func membership(_ args: Args, _ ctx: ActionContext) throws(ActionError) -> (group: String, user: String) {
        let name = try groupName(args, ctx, to: "change group members")
        try Names.check(args[user], .user, parameter: "user")
        return (name, args[user])
    }

    /// Runs `body` on the server store; its errors become action errors (missing → notFound, existing → alreadyExists).
    static func store<T: Sendable>(_ ctx: ActionContext, _ body: (ServerStore) async throws -> T) async throws(ActionError) -> T {
        do { return try await body(ctx.server.store) } catch let e as StorageError {
            switch e.kind {
            case .notFound: throw ActionError.notFound(e.message)
            case .exists: throw ActionError(.alreadyExists, e.message)
            default: throw ActionError(.internalError, "Cannot read or change groups: \(e.message)")
            }
        } catch let e as ActionError {
            throw e
        } catch {
            throw ActionError(.internalError, "Cannot read or change groups: \(error)")
        }
    }
}
