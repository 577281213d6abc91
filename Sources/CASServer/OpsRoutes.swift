import CASCore
import CASWire
import Foundation
import NIOHTTP1

/// The operator's endpoints on the REST port (docs/operations.md "Health and metrics"), answered at the
/// request's head, before the swat routes:
///
/// | path | who | answer |
/// |---|---|---|
/// | `GET /healthz` | anyone | 200 `{"status": "alive"}` while the process serves HTTP |
/// | `GET /readyz` | anyone | 200 `{"status": "ready"}` when the server database answers and the server is not stopping; else 503 with the reason |
/// | `GET /metrics` | `--metrics-access`: an administrator (default), or anyone | Prometheus text format 0.0.4 |
enum OpsRoute {
    case healthz, readyz, metrics

    /// The route of a GET or HEAD on one of the three paths (exactly, query ignored); nil for anything else.
    init?(_ head: HTTPRequestHead) {
        guard head.method == .GET || head.method == .HEAD else { return nil }
        switch head.uri.split(separator: "?", maxSplits: 1).first ?? "" {
        case "/healthz": self = .healthz
        case "/readyz": self = .readyz
        case "/metrics": self = .metrics
        default: return nil
        }
    }

    func answer(_ head: HTTPRequestHead, routes: RESTRoutes, entry: ClientConnections.Entry, _ verified: inout VerifiedCredentials) async -> RESTResponse {
        switch self {
        case .healthz:
            return .json(["status": "alive"])
        case .readyz:
            if entry.stopping { return .json(["status": "stopping"], status: .serviceUnavailable) }
            do { try await routes.server.store.ping() } catch {
                // anyone may ask: the reason (which names server paths) goes to the log, not to the answer
                routes.server.logger.error("readyz: the server database does not answer: \(error.message)")
                return .json(["status": "storage unavailable", "details": "the server database cannot be read; the server's log says why"],
                             status: .serviceUnavailable)
            }
            return .json(["status": "ready"])
        case .metrics:
            var detailed = true
            if routes.metricsAccess == .admin {
                let user: LoginIdentity
                do { user = try await routes.authenticator.authenticate(head.headers, from: entry.address, &verified) } catch { return error.response }
                guard user.isAdmin else {
                    return .error(.forbidden, "Only administrators may read /metrics", details: "scrape with an administrator's credentials, or serve with --metrics-access open")
                }
            } else {
                detailed = false
            }
            let text = await MetricsText.render(routes.server, detailed: detailed, monitorLogins: routes.monitor.logins.count())
            return RESTResponse(status: .ok, body: Array(text.utf8), headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")])
        }
    }
}

/// The Prometheus text exposition (format 0.0.4) of a server's metrics. Hand-written: the format is a few
/// lines per family, and swift-prometheus would add a package and a metrics back end for that
/// (docs/decisions/016-operating-caslite.md). `detailed` adds the series that name sessions, users and tables.
enum MetricsText {
    static func render(_ server: ServerContext, detailed: Bool, monitorLogins: Int) async -> String {
        var out = Families()
        let snap = server.metrics.snapshot()
        out.family("caslite_build_info", "gauge", "The running caslite's version.")
        out.sample("caslite_build_info", ["version": ServerContext.version], 1)
        out.family("caslite_uptime_seconds", "gauge", "Seconds since the server started.")
        out.sample("caslite_uptime_seconds", [:], ServerClock.now - server.startTime)

        out.family("caslite_actions_total", "counter", "Finished action calls by action and severity (Normal, Warning, Error).")
        for (k, n) in snap.calls.sorted(by: { ($0.key.action, $0.key.severity) < ($1.key.action, $1.key.severity) }) {
            out.sample("caslite_actions_total", ["action": k.action, "severity": k.severity], Double(n))
        }
        out.family("caslite_action_duration_seconds", "histogram", "Elapsed time of finished action calls, by action.")
        for (action, h) in snap.latency.sorted(by: { $0.key < $1.key }) {
            var cumulative = 0
            for (i, bound) in ServerMetrics.buckets.enumerated() {
                cumulative += h.counts[i]
                out.sample("caslite_action_duration_seconds_bucket", ["action": action, "le": number(bound)], Double(cumulative))
            }
            out.sample("caslite_action_duration_seconds_bucket", ["action": action, "le": "+Inf"], Double(h.count))
            out.sample("caslite_action_duration_seconds_sum", ["action": action], h.sum)
            out.sample("caslite_action_duration_seconds_count", ["action": action], Double(h.count))
        }

        out.family("caslite_dltrain_images_total", "counter", "Images trained by deepLearn.dlTrain (training images times epochs).")
        out.sample("caslite_dltrain_images_total", [:], Double(snap.trainedImages))
        out.family("caslite_dltrain_seconds_total", "counter", "Seconds spent in deepLearn.dlTrain training.")
        out.sample("caslite_dltrain_seconds_total", [:], snap.trainingSeconds)
        if let rate = snap.lastTrainingRate {
            out.family("caslite_dltrain_images_per_second", "gauge", "Images per second of the last finished deepLearn.dlTrain run.")
            out.sample("caslite_dltrain_images_per_second", [:], rate)
        }

        let sessions = await server.sessions.all()
        out.family("caslite_sessions", "gauge", "Sessions in memory.")
        out.sample("caslite_sessions", [:], Double(sessions.count))
        out.family("caslite_memory_bytes", "gauge", "Memory charged to tables and running actions, whole server.")
        out.sample("caslite_memory_bytes", [:], Double(server.memory.used()))
        out.family("caslite_memory_limit_bytes", "gauge", "The server's memory limit (--max-memory).")
        out.sample("caslite_memory_limit_bytes", [:], Double(server.memory.serverLimit))
        let tables = await server.globals.sizes()
        out.family("caslite_global_tables", "gauge", "Promoted (global) tables in memory.")
        out.sample("caslite_global_tables", [:], Double(tables.count))
        out.family("caslite_global_table_bytes_total", "gauge", "Bytes of all promoted tables.")
        out.sample("caslite_global_table_bytes_total", [:], Double(tables.reduce(0) { $0 + $1.bytes }))
        out.family("caslite_monitor_logins_total", "counter", "Successful web monitor logins.")
        out.sample("caslite_monitor_logins_total", [:], Double(snap.monitorLogins))
        out.family("caslite_monitor_logins", "gauge", "Live web monitor logins (cookies that have not expired or logged out).")
        out.sample("caslite_monitor_logins", [:], Double(monitorLogins))
        out.family("caslite_monitor_event_streams", "gauge", "Open web monitor event streams (/monitor/api/events).")
        out.sample("caslite_monitor_event_streams", [:], Double(server.events.count))
        if let cluster = server.cluster {
            // an MPI server (docs/scale-out.md)
            let nodes = server.nodes.all().filter { $0.role == .worker }
            out.family("caslite_cluster_workers", "gauge", "Workers of the MPI server by state (up, down).")
            for state in [NodeState.State.up, .down] { out.sample("caslite_cluster_workers", ["state": state.rawValue], Double(nodes.filter { $0.state == state }.count)) }
            let c = cluster.counters()
            out.family("caslite_cluster_rows_distributed_total", "counter", "Table rows sent to the workers.")
            out.sample("caslite_cluster_rows_distributed_total", [:], Double(c.rowsDistributed))
            out.family("caslite_cluster_rows_gathered_total", "counter", "Table rows gathered back from the workers for actions that read whole tables.")
            out.sample("caslite_cluster_rows_gathered_total", [:], Double(c.rowsGathered))
            out.family("caslite_cluster_partition_runs_total", "counter", "Partition-local action runs on workers' blocks.")
            out.sample("caslite_cluster_partition_runs_total", [:], Double(c.partitionRuns))
        }
        guard detailed else { return out.text }

        let bySession = server.memory.bySession()
        out.family("caslite_session_memory_bytes", "gauge", "Memory charged to one session (tables and running actions).")
        for s in sessions.sorted(by: { $0.id < $1.id }) {
            out.sample("caslite_session_memory_bytes", ["session": s.id, "user": s.user], Double(bySession[s.id] ?? 0))
        }
        out.family("caslite_table_bytes", "gauge", "Bytes of one promoted table.")
        for t in tables.sorted(by: { ($0.caslib, $0.name) < ($1.caslib, $1.name) }) {
            out.sample("caslite_table_bytes", ["caslib": t.caslib, "table": t.name], Double(t.bytes))
        }
        return out.text
    }

    /// A number as Prometheus writes it (integers without a fraction).
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// Lines being built: `# HELP`/`# TYPE` headers and samples with escaped label values.
    struct Families {
        var text = ""
        mutating func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
            let l = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",")
            text += "\(name)\(l.isEmpty ? "" : "{\(l)}") \(MetricsText.number(value))\n"
        }
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
    }
}
