import CASCore
import CASWire

/// `accessControl.dropGroup`: removes a group, its memberships and its access controls (administrators only).
struct DropGroup: Action {
    static let name = "dropGroup"
    static let summary = "Drops a group with its memberships and every access control granted or denied to it (administrators only)."
    static let parameters = [GroupActions.group.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let name = try GroupActions.groupName(args, ctx, to: "drop groups")
        guard let g = try await GroupActions.store(ctx, { try await $0.group(name) }) else {
            throw ActionError.notFound("There is no group \(Names.quote(name)).", parameter: "group")
        }
        try await GroupActions.store(ctx) { try await $0.removeGroup(g.name) }
        ctx.note("Dropped group \(g.name), its \(g.members.count) memberships and its access controls.")
        return ValueDict()
    }
}
