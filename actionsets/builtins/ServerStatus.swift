import CASCore
import CASWire

#if canImport(Glibc)
import Glibc
#endif

/// `builtins.serverStatus`: version, node and session counts (the `About`, `server`, `nodestatus` results swat reads at connect).
struct ServerStatus: Action {
    static let name = "serverStatus"
    static let summary = "Shows the server's version, uptime, sessions and node status."
    static let parameters: [ParamSpec] = []
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        var r = await results(ctx.server)
        r["memory"] = .table(memory(ctx))
        return r
    }

    /// Memory charged to the server and to the calling session, with their limits (`--max-memory`, `--max-session-memory`).
    static func memory(_ ctx: ActionContext) -> DataTable {
        let m = ctx.server.memory
        let rows: [[Value]] = [("server", m.used(), m.serverLimit), ("session", m.used(session: ctx.session.id), m.sessionLimit)].map { scope, used, limit in
            [.string(scope), .int(Int64(used)), .int(Int64(limit)), .string(ByteCount.text(used)), .string(ByteCount.text(limit))]
        }
        return .result("memory", label: "Memory charged to tables and running actions", columns: [
            ("Scope", .varchar), ("UsedBytes", .int64), ("LimitBytes", .int64), ("Used", .varchar), ("Limit", .varchar),
        ], rows: rows)
    }

    /// `About`, `server` and `nodestatus`: what both serverStatus and about return (as CAS does; DLPy's
    /// `get_cas_host_type` reads `about()['server'].nodes`).
    static func results(_ server: ServerContext) async -> ValueDict {
        let actions = (await server.allSets()).reduce(0) { $0 + $1.actions.count }
        let sessions = await server.sessions.count
        let uptime = ServerClock.now - server.startTime
        var r = ValueDict()
        r["About"] = .dict(About.info(server))
        // one process: this machine; an MPI scale-out server: the controller and each worker, `state` down for a lost one
        let nodes = server.cluster == nil ? [NodeState(name: hostName(), role: .controller, state: .up, cores: 0)] : server.nodes.all()
        r["server"] = .table(.result("server", label: "Server Status", columns: [("nodes", .int32), ("actions", .int32)],
                                     rows: [[.int(Int64(nodes.count)), .int(Int64(actions))]]))
        r["nodestatus"] = .table(.result("nodestatus", label: "Node Status",
            columns: [("name", .varchar), ("role", .varchar), ("uptime", .double), ("running", .int32), ("stalled", .int32), ("sessions", .int32),
                      ("state", .varchar)],
            rows: nodes.map { n in
                [.string(n.name), .string(n.role.rawValue), .double(uptime), 0, 0, .int(Int64(n.role == .controller ? sessions : 0)), .string(n.state.rawValue)]
            }))
        return r
    }

    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
