import CASCore
import CASWire

/// `accessControl.addGroup`: adds an empty group (administrators only).
struct AddGroup: Action {
    static let name = "addGroup"
    static let summary = "Adds a group of users, to name in access controls with identityType=\"Group\" (administrators only)."
    static let parameters = [GroupActions.group.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let name = try GroupActions.groupName(args, ctx, to: "add groups")
        try await GroupActions.store(ctx) { try await $0.addGroup(name, now: ServerClock.now) }
        ctx.note("Added group \(name).")
        return ValueDict()
    }
}
