import CASCore
import CASStorage
import CASWire
import Foundation

/// What the monitor shows, read from the server for one logged-in user and filtered by the one session
/// rule (`AccessControl.mayManageSession`): a user sees their own sessions and their calls, an
/// administrator every one. The pages and the JSON endpoints render the same rows.
struct MonitorSnapshot {
    let server: ServerContext
    let viewer: LoginIdentity
    /// Measures the process's CPU use (the Server page); nil: not measured.
    var cpu: ProcessCPU? = nil

    /// `GET /monitor/api/server`.
    struct ServerRow {
        var version: String, started: Double, uptime: Double, nodes: Int
        var memoryUsed: Int, memoryLimit: Int, sessionMemoryLimit: Int, peakResidentBytes: Int?
        var actionSets: [String], sessions: Int, runningActions: Int
        /// CPU use since the previous reading; nil while it cannot be measured.
        var cpu: ProcessCPU.Use?
        /// The server's machines, from `ServerContext.nodes` (one until the MPI scale-out exists).
        var nodeList: [NodeState]

        var json: Value {
            [
                "version": .string(version), "started": .string(Session.isoStamp(started)), "uptimeSeconds": .double(uptime),
                "nodes": .int(Int64(nodes)),
                "memory": ["usedBytes": .int(Int64(memoryUsed)), "limitBytes": .int(Int64(memoryLimit)),
                           "sessionLimitBytes": .int(Int64(sessionMemoryLimit)), "peakResidentBytes": peakResidentBytes.map { Value.int(Int64($0)) } ?? .null],
                "actionSets": .list(actionSets.map(Value.string)), "sessions": .int(Int64(sessions)), "runningActions": .int(Int64(runningActions)),
                "cpu": cpu?.json ?? .null,
                "nodeList": .list(nodeList.map { n in
                    ["name": .string(n.name), "role": .string(n.role.rawValue), "state": .string(n.state.rawValue), "cores": .int(Int64(n.cores))]
                }),
            ]
        }
    }

    /// One row of `GET /monitor/api/sessions`.
    struct SessionRow {
        var id: String, user: String, name: String, state: String, created: Double, idleSeconds: Double
        var memoryBytes: Int, tables: Int, actions: Int

        var json: Value {
            [
                "id": .string(id), "user": .string(user), "name": .string(name), "state": .string(state), "created": .string(Session.isoStamp(created)),
                "idleSeconds": .double(idleSeconds), "memoryBytes": .int(Int64(memoryBytes)), "tables": .int(Int64(tables)), "actions": .int(Int64(actions)),
            ]
        }
    }

    /// One row of `GET /monitor/api/actions`.
    struct ActionRow {
        var id: String, action: String, session: String, user: String, started: Double, elapsed: Double, running: Bool
        var progress: CASWire.Progress?

        /// Percent done, when the total is known.
        var percent: Double? {
            guard let p = progress, p.total > 0 else { return nil }
            return min(100, Double(p.done) / Double(p.total) * 100)
        }

        /// Seconds left at the pace so far, when the total is known and some of it is done.
        var eta: Double? {
            guard let p = progress, p.total > 0, p.done > 0, elapsed > 0 else { return nil }
            return max(0, elapsed * Double(p.total - p.done) / Double(p.done))
        }

        var json: Value {
            let progressValue: Value = progress.map { p -> Value in
                ["done": .int(p.done), "total": .int(p.total), "unit": .string(p.unit), "message": .string(p.message)]
            } ?? .null
            return [
                "id": .string(id), "action": .string(action), "session": .string(session), "user": .string(user),
                "started": .string(Session.isoStamp(started)), "elapsedSeconds": .double(elapsed), "state": .string(running ? "running" : "queued"),
                "progress": progressValue, "percent": percent.map(Value.double) ?? .null, "etaSeconds": eta.map(Value.double) ?? .null,
            ]
        }
    }

    /// One row of `GET /monitor/api/tables`.
    struct TableRow {
        var caslib: String, name: String, session: String?, rows: Int, columns: Int, memoryBytes: Int, owner: String, created: Double
        /// What the viewer may do with it (the buttons shown).
        var rights: TableRights
        /// A global table's access-control entries and its caslib's, when the viewer may list them.
        var access: [ACLEntry]?

        var ref: MonitorTableRef { MonitorTableRef(caslib: caslib, name: name, session: session) }

        var json: Value {
            [
                "caslib": .string(caslib), "name": .string(name), "scope": .string(session == nil ? "global" : "session"),
                "session": session.map(Value.string) ?? .null, "rows": .int(Int64(rows)), "columns": .int(Int64(columns)),
                "memoryBytes": .int(Int64(memoryBytes)), "owner": .string(owner), "created": .string(Session.isoStamp(created)),
                "rights": rights.json, "acl": access.map { .list($0.map(MonitorSnapshot.json)) } ?? .null,
            ]
        }
    }

    /// The training runs of the viewer's sessions (an administrator: every run), oldest first.
    func trainings() -> [TrainingRecord] {
        server.trainings.all().filter { AccessControl.mayManageSession(owner: $0.user, user: viewer.user, isAdmin: viewer.isAdmin) }
    }

    /// The log lines of the visible sessions at `minLevel` or above (of one session when `session` is given), oldest first.
    func logLines(minLevel: LogLevel, session: String?) async -> [(session: String, line: SessionLogLine)] {
        var out: [(session: String, line: SessionLogLine)] = []
        for s in await visibleSessions() where session == nil || s.id == session?.lowercased() {
            out += s.log.lines(minLevel: minLevel).map { (s.id, $0) }
        }
        return out.sorted { $0.line.time < $1.line.time }
    }

    static func json(_ l: (session: String, line: SessionLogLine)) -> Value {
        ["time": .string(Session.isoStamp(l.line.time)), "session": .string(l.session), "action": .string(l.line.action),
         "level": .string(l.line.line.level.rawValue), "message": .string(l.line.line.message)]
    }

    /// The sessions the viewer may see, oldest first.
    func visibleSessions() async -> [Session] {
        await server.sessions.all()
            .filter { AccessControl.mayManageSession(owner: $0.user, user: viewer.user, isAdmin: viewer.isAdmin) }
            .sorted { $0.created < $1.created }
    }

    func serverRow() async -> ServerRow {
        let now = ServerClock.now
        let all = await server.sessions.all()
        var running = 0
        for s in all { running += await s.runningCalls().count }
        let nodes = server.nodes.all()
        return ServerRow(version: ServerContext.version, started: server.startTime, uptime: now - server.startTime, nodes: nodes.count,
                         memoryUsed: server.memory.used(), memoryLimit: server.memory.serverLimit, sessionMemoryLimit: server.memory.sessionLimit,
                         peakResidentBytes: Self.peakResidentBytes(), actionSets: await server.allSets().map(\.name), sessions: all.count,
                         runningActions: running, cpu: await cpu?.use(), nodeList: nodes)
    }

    func sessionRows() async -> [SessionRow] {
        let now = ServerClock.now
        let memory = server.memory.bySession()
        var rows: [SessionRow] = []
        for s in await visibleSessions() {
            let busy = await s.isBusy
            rows.append(SessionRow(id: s.id, user: s.user, name: await s.name, state: await s.connections > 0 ? "connected" : "detached",
                                   created: s.created, idleSeconds: busy ? 0 : max(0, now - (await s.lastActivity)),
                                   memoryBytes: memory[s.id] ?? 0, tables: await s.tableCount, actions: await s.runningCalls().count))
        }
        return rows
    }

    func actionRows() async -> [ActionRow] {
        let now = ServerClock.now
        var rows: [ActionRow] = []
        for s in await visibleSessions() {
            for c in await s.runningCalls() {
                rows.append(ActionRow(id: Self.actionId(s, c.call), action: c.action, session: s.id, user: s.user, started: c.started,
                                      elapsed: max(0, now - c.started), running: c.running, progress: c.progress))
            }
        }
        return rows
    }

    func tableRows() async -> [TableRow] {
        var rows: [TableRow] = []
        for v in await server.visibleTables(user: viewer.user, isAdmin: viewer.isAdmin) { rows.append(await tableRow(v)) }
        return rows
    }

    func tableRow(_ v: VisibleTable) async -> TableRow {
        let (lib, rights) = await rights(v)
        return TableRow(caslib: v.table.caslib, name: v.table.name, session: v.session, rows: v.table.rowCount, columns: v.table.data.columns.count,
                        memoryBytes: v.table.chargedBytes, owner: v.table.creator, created: v.table.created, rights: rights,
                        access: await accessEntries(v, lib))
    }

    /// A training run as JSON: what it trains, its state and its history so far.
    static func json(_ r: TrainingRecord) -> Value {
        let points = r.points.map { p -> Value in
            ["epoch": .int(Int64(p.epoch)), "learningRate": .double(p.learningRate), "loss": .double(p.loss), "fitError": .double(p.fitError),
             "validLoss": p.validLoss.map(Value.double) ?? .null, "validError": p.validError.map(Value.double) ?? .null]
        }
        let batches = r.batches.map { b -> Value in
            ["epoch": .int(Int64(b.epoch)), "batch": .int(Int64(b.batch)), "batchesPerEpoch": .int(Int64(b.batches)), "loss": .double(b.loss),
             "learningRate": .double(b.learningRate)]
        }
        let confusion: Value = r.confusion.map { c in
            ["levels": .list(c.levels.map(Value.string)), "counts": .list(c.counts.map { .list($0.map { .int(Int64($0)) }) }),
             "table": .string(c.table), "time": .string(Session.isoStamp(c.time))]
        } ?? .null
        let pictures = r.pictures.map { p -> Value in
            ["number": .int(Int64(p.number)), "kind": .string(p.kind.rawValue), "caption": .string(p.caption), "type": .string(p.contentType),
             "bytes": .int(Int64(p.bytes.count)), "time": .string(Session.isoStamp(p.time)), "url": .string(pictureURL(r, p))]
        }
        return [
            "id": .int(Int64(r.id)), "model": .string(r.model), "user": .string(r.user), "session": .string(r.session), "state": .string(r.state.rawValue),
            "epochs": .int(Int64(r.epochs)), "started": .string(Session.isoStamp(r.started)), "history": .list(points), "batches": .list(batches),
            "confusion": confusion, "pictures": .list(pictures),
        ]
    }

    /// Where a run's picture is served.
    static func pictureURL(_ r: TrainingRecord, _ p: TrainingPicture) -> String { "/monitor/api/training/\(r.id)/picture/\(p.number)" }

    /// One of a run's pictures; nil when it has none of that kind (no batches recorded, never scored).
    static func chart(_ r: TrainingRecord, _ kind: TrainingChart) -> String? {
        switch kind {
        case .history: return chart(r)
        case .batches:
            guard !r.batches.isEmpty else { return nil }
            return SVGChart.lines(x: r.batches.map(\.position), series: [("BatchLoss", r.batches.map(\.loss))], title: "\(r.model): loss per batch")
        case .confusion:
            guard let c = r.confusion else { return nil }
            return SVGChart.confusion(levels: c.levels, counts: c.counts, title: "Confusion matrix of \(c.table)")
        }
    }

    /// A training run's loss and fit error (and validation's, when it has one) per epoch.
    static func chart(_ r: TrainingRecord) -> String {
        let x = r.points.map { Double($0.epoch) }
        var series = [("Loss", r.points.map(\.loss)), ("FitError", r.points.map(\.fitError))]
        if r.points.contains(where: { $0.validLoss != nil }) {
            series += [("ValidLoss", r.points.map { $0.validLoss ?? .nan }), ("ValidError", r.points.map { $0.validError ?? .nan })]
        }
        return SVGChart.lines(x: x, series: series, title: "\(r.model): training history")
    }

    /// A call's id in the monitor: `<session>.<connection>.<request>`.
    static func actionId(_ s: Session, _ call: CallID) -> String { "\(s.id).\(call.connection.value).\(call.request)" }

    /// The visible session with this id; nil for unknown ones and other users' (not told apart).
    func session(_ id: String) async -> Session? {
        guard let s = await server.sessions.session(id), AccessControl.mayManageSession(owner: s.user, user: viewer.user, isAdmin: viewer.isAdmin)
        else { return nil }
        return s
    }

    /// The visible session and call a monitor action id names.
    func call(_ id: String) async -> (Session, CallID)? {
        guard let sessionId = id.split(separator: ".").first, let s = await session(String(sessionId)) else { return nil }
        guard let c = await s.runningCalls().first(where: { Self.actionId(s, $0.call) == id }) else { return nil }
        return (s, c.call)
    }

    /// The most memory the process has held resident (`getrusage`'s `ru_maxrss`, KiB on Linux).
    static func peakResidentBytes() -> Int? {
        var u = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &u) == 0 else { return nil }
        return Int(u.ru_maxrss) * 1024
    }
}
