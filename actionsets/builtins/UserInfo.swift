import CASCore
import CASWire

/// `builtins.userInfo`: who the caller is, as CAS shows it — user, groups (read now, so a membership
/// change shows at the next call) and whether the caller is an administrator.
struct UserInfo: Action {
    static let name = "userInfo"
    static let summary = "Shows your user name, your groups and whether you are an administrator."
    static let parameters: [ParamSpec] = []

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let groups = try await ctx.server.access.groups(of: ctx.user)
        let info: ValueDict = [
            "userId": .string(ctx.user), "providedName": .string(ctx.user), "uniqueId": .string(ctx.user),
            "groups": .list(groups.map { .string($0) }), "providerName": "caslite", "hostAccount": false,
            "guest": false, "anonymous": false, "administrator": .bool(ctx.isAdmin),
        ]
        return ["userInfo": .dict(info)]
    }
}
