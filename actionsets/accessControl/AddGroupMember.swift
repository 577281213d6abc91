import CASCore
import CASWire

/// `accessControl.addGroupMember`: adds a user to a group (administrators only).
struct AddGroupMember: Action {
    static let name = "addGroupMember"
    static let summary = "Adds a user to a group; running sessions of the user get the group's access at their next call (administrators only)."
    static let parameters = [GroupActions.group.spec, GroupActions.user.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let m = try GroupActions.membership(args, ctx)
        let r = try await GroupActions.store(ctx) { try await $0.addMember(m.user, to: m.group) }
        ctx.note(r.added ? "Added \(m.user) to group \(r.group)." : "\(m.user) is already a member of group \(r.group).")
        return ValueDict()
    }
}
