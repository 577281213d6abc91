import CASCore
import CASWire

/// `accessControl.removeGroupMember`: removes a user from a group (administrators only).
struct RemoveGroupMember: Action {
    static let name = "removeGroupMember"
    static let summary = "Removes a user from a group; running sessions of the user lose the group's access at their next call (administrators only)."
    static let parameters = [GroupActions.group.spec, GroupActions.user.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let m = try GroupActions.membership(args, ctx)
        ctx.note("Removed \(m.user) from group \(try await GroupActions.store(ctx) { try await $0.removeMember(m.user, from: m.group) }).")
        return ValueDict()
    }
}
