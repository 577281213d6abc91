import CASCore
import CASWire
import Logging
import Synchronization

/// `GET /monitor/api/events`: one logged-in browser's live feed, as Server-Sent Events (`text/event-stream`). It
/// carries the `ServerEvents` of the sessions the viewer may see (`AccessControl.mayManageSession`): `progress` and
/// `log` (the frames the protocol streams), `call` (a call made or ended) and `training` (an epoch or a state change).
///
/// It also carries `session` (created, connected, detached, ended) and `table` (added, dropped, promoted) events: a
/// session table's by the session rule; a global table's named only to a viewer `ServerContext.mayReadInfo(globalTable:)`
/// allows, and a global table's drop, whose access controls went with it, without its name to everyone else.
///
/// Bounded for a client that does not read: events wait in a buffer of `buffer` entries; when it is full the oldest
/// are dropped, and the next event written is preceded by a `gap` event (the page then re-reads the snapshot). Writes
/// wait for the socket (NIO's writability), so nothing else grows. What waits is charged to the server's memory budget
/// and bounded for all streams together (`PendingEvents`): a stream holding more than its share of
/// `Limits.monitorEventBytes` is closed, with a WARNING naming its user. The stream ends when the login ends (logout, expiry,
/// the user removed: a `logout` event first; checked at most once a second and at every heartbeat), when the server
/// stops, or when the client goes.
struct MonitorEventStream: Sendable {
    let monitor: Monitor
    let token: String
    let viewer: LoginIdentity
    /// Events held for a slow reader before the oldest are dropped.
    static let buffer = 256
    /// A comment line this often keeps proxies from closing the connection; the login is checked then too.
    static let heartbeat = Duration.seconds(15)
    /// Events written per second at most: the pages only use events as refresh triggers (a refresh at most once a
    /// second), and a fast dlTrain at logLevel=3 makes thousands a second, which hung the browser tab that read
    /// them. Past that, the newest event is held and written at the next tick (every `tick`), after one `gap` event
    /// counting the ones it replaced: a burst still ends with its last event.
    static let maxPerSecond = 20
    static let tick = Duration.seconds(1)
    /// The login is checked before an event when it was last checked this long ago (seconds), and at every heartbeat.
    static let loginCheckInterval = 1.0

    enum Item: Sendable {
        case event(ServerEvent)
        case tick
    }

    /// Writes the stream with `write` until it ends. `write` throws when the client has gone; `close` closes the
    /// connection (a stream over its share of the event budget, whose writes may be waiting for a client that never reads).
    func run(write: @Sendable (String) async throws -> Void, close: @escaping @Sendable () -> Void) async {
        // one user's streams are bounded (each costs a connection and memory): past the bound the stream says so and ends
        guard monitor.streams.enter(viewer.user) else {
            try? await write("retry: 60000\nevent: refused\ndata: {\"error\": \"\(viewer.user) has \(Limits.monitorStreamsPerUser) event streams open already\"}\n\n")
            return
        }
        defer { monitor.streams.leave(viewer.user) }
        let (items, feed) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(Self.buffer))
        let dropped = Atomic<Int>(0)
        let server = monitor.server, events = server.events
        let pending = PendingEvents(memory: server.memory, streams: events, user: viewer.user, logger: server.logger) {
            feed.finish()
            close()
        }
        let id = events.subscribe({ [viewer] e in
            // a global table's event goes on to the writer, which asks the access controls (an await) before naming it
            guard e.globalTable != nil || AccessControl.mayManageSession(owner: e.owner, user: viewer.user, isAdmin: viewer.isAdmin) else { return }
            guard pending.add(e.bytes) else { return }
            switch feed.yield(.event(e)) {
            case .dropped(let old):
                dropped.add(1, ordering: .relaxed)
                if case .event(let o) = old { pending.remove(o.bytes) }
            case .terminated: pending.remove(e.bytes)
            case .enqueued: break
            @unknown default: break
            }
        }, finish: { feed.finish() })
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.tick)
                if case .dropped(.event(let old)) = feed.yield(.tick) {  // a full buffer: the tick took the oldest event's place
                    dropped.add(1, ordering: .relaxed)
                    pending.remove(old.bytes)
                }
            }
        }
        defer {
            ticker.cancel()
            events.unsubscribe(id)
            feed.finish()
            pending.close()
        }
        do {
            try await write("retry: 2000\n: caslite monitor events for \(viewer.user)\n\n")
            var checked = ServerClock.monotonic
            var windowStart = ServerClock.monotonic, sentInWindow = 0, ticks = 0
            var held: ServerEvent?
            let ticksPerHeartbeat = Int(Self.heartbeat / Self.tick)
            for await item in items {
                // the login (and whether its user still exists, a database read) at most once a second, and at every heartbeat
                if case .tick = item {
                    ticks += 1
                    if ticks % ticksPerHeartbeat == 0 { checked = -.infinity }
                }
                if case .event(let e) = item {
                    pending.remove(e.bytes)
                    let now = ServerClock.monotonic
                    if now - windowStart >= 1 { windowStart = now; sentInWindow = 0 }
                    if sentInWindow >= Self.maxPerSecond {
                        if held != nil { dropped.add(1, ordering: .relaxed) }
                        held = e
                        continue
                    }
                    sentInWindow += 1
                }
                if ServerClock.monotonic - checked >= Self.loginCheckInterval {
                    guard await loginIsLive() else {
                        try await write("event: logout\ndata: {}\n\n")
                        return
                    }
                    checked = ServerClock.monotonic
                }
                let lost = dropped.exchange(0, ordering: .relaxed)
                if lost > 0 { try await write("event: gap\ndata: {\"dropped\": \(lost)}\n\n") }
                switch item {
                case .tick:
                    if let h = held {
                        held = nil
                        windowStart = ServerClock.monotonic
                        sentInWindow = 1
                        if let text = await text(h) { try await write(text) }
                    }
                    if ticks % ticksPerHeartbeat == 0 { try await write(": keep-alive\n\n") }
                case .event(let e):
                    guard let text = await text(e) else { continue }
                    try await write(text)
                }
            }
        } catch {
            return  // the client went away
        }
    }

    /// Whether the login is still live (it may have logged out, expired, or its user been removed).
    func loginIsLive() async -> Bool { await monitor.current(token: token) != nil }

    /// The event as this viewer may see it, in SSE form; nil when it is not theirs to see. A global table is named only to
    /// a viewer with ReadInfo on it; its drop (the table and its access controls gone) is told to the others unnamed.
    func text(_ e: ServerEvent) async -> String? {
        guard let t = e.globalTable else { return Self.text(e) }
        if await monitor.server.mayReadInfo(globalTable: TableKey(caslib: t.caslib, name: t.name), user: viewer.user, isAdmin: viewer.isAdmin) {
            return Self.text(e)
        }
        guard t.kind == .dropped else { return nil }
        return "event: table\ndata: \((["time": .string(Session.isoStamp(e.time)), "change": "dropped", "scope": "global"] as Value).jsonString)\n\n"
    }

    /// One event in SSE form: `event: <name>` and one `data:` line of JSON.
    static func text(_ e: ServerEvent) -> String {
        "event: \(e.name)\ndata: \(json(e).jsonString)\n\n"
    }

    static func json(_ e: ServerEvent) -> Value {
        var v: ValueDict = ["time": .string(Session.isoStamp(e.time)), "session": .string(e.session), "user": .string(e.owner), "action": .string(e.action)]
        switch e.kind {
        case .progress(let p):
            v["progress"] = ["done": .int(p.done), "total": .int(p.total), "unit": .string(p.unit), "message": .string(p.message)]
        case .log(let line):
            v["level"] = .string(line.level.rawValue)
            v["message"] = .string(String(line.message.prefix(SessionLog.maxMessage)))
        case .started: v["state"] = "started"
        case .ended(let severity):
            v["state"] = "ended"
            v["severity"] = .string(severity.rawValue)
        case .training(let id): v["run"] = .int(Int64(id))
        case .session(let change): v["state"] = .string(change.rawValue)
        case .table(let t):
            v["change"] = .string(t.kind.rawValue)
            v["scope"] = .string(t.global ? "global" : "session")
            v["caslib"] = .string(t.caslib)
            v["name"] = .string(t.name)
            if t.global {  // no session made it anyone's: who sees it is the table's rule
                v["session"] = nil
                v["user"] = nil
            }
        }
        return .dict(v)
    }
}

/// The bytes of events one stream holds for its browser. They are charged to the server's memory budget (no session:
/// the monitor's, as answers waiting for a JSON-lines connection before its login), and bounded for all streams
/// together: a stream may hold `Limits.monitorEventBytes` divided by the streams open. An event that would take it past
/// its share, or past the memory budget, closes the stream (`overflow`), with a WARNING naming its user; the browser's
/// EventSource reconnects and its page re-reads the snapshot.
final class PendingEvents: Sendable {
    private let state = Mutex<(bytes: Int, closed: Bool)>((0, false))
    let memory: MemoryBudget
    /// The open streams (their count divides the budget).
    let streams: ServerEvents
    let user: String
    let logger: Logger
    let overflow: @Sendable () -> Void

    init(memory: MemoryBudget, streams: ServerEvents, user: String, logger: Logger, overflow: @escaping @Sendable () -> Void) {
        self.memory = memory
        self.streams = streams
        self.user = user
        self.logger = logger
        self.overflow = overflow
    }

    /// What one stream may hold now.
    var share: Int { Limits.monitorEventBytes / max(1, streams.count) }

    /// Charges an event about to be queued; false when the stream is closed, or is closed now because the event would
    /// pass its share or the memory budget.
    func add(_ n: Int) -> Bool {
        let share = self.share
        let refusal: String? = state.withLock { s in
            guard !s.closed else { return "" }
            var reason: String?
            if s.bytes + n > share {
                reason = "\(s.bytes + n) bytes of events would wait for it, past its share (\(share) bytes: Limits.monitorEventBytes, "
                    + "\(Limits.monitorEventBytes), over \(streams.count) open streams)"
            } else {
                do throws(ActionError) {
                    try memory.charge(n, session: nil, for: "monitor events waiting for \(user)'s browser")
                } catch { reason = error.message }
            }
            guard let reason else {
                s.bytes += n
                return nil
            }
            s.closed = true
            memory.release(s.bytes, session: nil)
            s.bytes = 0
            return reason
        }
        guard let refusal else { return true }
        if !refusal.isEmpty {
            logger.warning("monitor event stream of \(user): the browser is not reading its events; \(refusal): closing the stream")
            overflow()
        }
        return false
    }

    /// An event left the queue (written, or dropped for a newer one).
    func remove(_ n: Int) {
        state.withLock { s in
            guard !s.closed else { return }
            s.bytes -= n
            memory.release(n, session: nil)
        }
    }

    /// The stream ended: what it still held is released.
    func close() {
        state.withLock { s in
            guard !s.closed else { return }
            s.closed = true
            memory.release(s.bytes, session: nil)
            s.bytes = 0
        }
    }
}

/// Open event streams per user: at most `Limits.monitorStreamsPerUser` each (a browser tab holds one).
final class MonitorStreams: Sendable {
    private let open = Mutex<[String: Int]>([:])

    /// Counts a new stream of `user`; false when the user has the most already.
    func enter(_ user: String) -> Bool {
        open.withLock { o in
            guard o[user, default: 0] < Limits.monitorStreamsPerUser else { return false }
            o[user, default: 0] += 1
            return true
        }
    }

    func leave(_ user: String) {
        open.withLock { o in
            o[user, default: 1] -= 1
            if o[user] == 0 { o[user] = nil }
        }
    }

}
