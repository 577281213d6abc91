import CASCore
import CASWire

/// `accessControl.listGroups`: the groups; their members for administrators only.
struct ListGroups: Action {
    static let name = "listGroups"
    static let summary = "Lists the groups (to name in access controls); administrators also see their members. Your own groups: builtins.userInfo."
    static let parameters: [ParamSpec] = []

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let groups = try await GroupActions.store(ctx) { try await $0.groups() }
        let table: DataTable
        if ctx.isAdmin {
            table = .result("Groups", label: "Groups", columns: [("Group", .varchar), ("Members", .varchar), ("MemberCount", .int64)],
                            rows: groups.map { [.string($0.name), .string($0.members.joined(separator: " ")), .int(Int64($0.members.count))] })
        } else {
            table = .result("Groups", label: "Groups", columns: [("Group", .varchar)], rows: groups.map { [.string($0.name)] })
        }
        return ["Groups": .table(table)]
    }
}
