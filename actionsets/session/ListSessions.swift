import CASCore
import CASWire

/// `session.listSessions`: the caller's sessions, or every session for an admin, each with its user's
/// groups as they are now.
struct ListSessions: Action {
    static let name = "listSessions"
    static let summary = "Lists your sessions (every session when you are an administrator)."
    static let parameters: [ParamSpec] = []
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let me = ctx.session
        var rows: [(Double, [Value])] = []
        var groups: [String: String] = [:]
        for s in await ctx.server.sessions.all() where AccessControl.mayManageSession(owner: s.user, user: me.user, isAdmin: me.isAdmin) {
            if groups[s.user] == nil { groups[s.user] = try await ctx.server.access.groups(of: s.user).joined(separator: " ") }
            rows.append((s.created, [.string(await s.name), .string(s.id), .string(await s.state), "password", .string(s.user),
                                     .string(groups[s.user] ?? ""), .double(await s.timeout), .int(Int64(await s.tableCount)),
                                     .int(Int64(ctx.server.memory.used(session: s.id)))]))
        }
        let sorted = rows.sorted { $0.0 < $1.0 }.map(\.1)
        return ["Session": .table(.result("Session", label: "Sessions", columns: [
            ("SessionName", .varchar), ("UUID", .varchar), ("State", .varchar), ("Authentication", .varchar), ("Userid", .varchar), ("Groups", .varchar),
            ("Timeout", .double), ("Tables", .int64), ("MemoryBytes", .int64),
        ], rows: sorted))]
    }
}
