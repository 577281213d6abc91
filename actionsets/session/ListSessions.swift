import CASCore
import CASWire

/// `session.listSessions`: the caller's sessions, or every session for an admin.
struct ListSessions: Action {
    static let name = "listSessions"
    static let summary = "Lists your sessions (every session when you are an administrator)."
    static let parameters: [ParamSpec] = []
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let me = ctx.session
        var rows: [(Double, [Value])] = []
        for s in await ctx.server.sessions.all() where me.isAdmin || s.user == me.user {
            rows.append((s.created, [.string(await s.name), .string(s.id), .string(await s.state), "password", .string(s.user),
                                     .double(await s.timeout), .int(Int64(await s.tableCount)),
                                     .int(Int64(ctx.server.memory.used(session: s.id)))]))
        }
        let sorted = rows.sorted { $0.0 < $1.0 }.map(\.1)
        return ["Session": .table(.result("Session", label: "Sessions", columns: [
            ("SessionName", .varchar), ("UUID", .varchar), ("State", .varchar), ("Authentication", .varchar), ("Userid", .varchar),
            ("Timeout", .double), ("Tables", .int64), ("MemoryBytes", .int64),
        ], rows: sorted))]
    }
}
