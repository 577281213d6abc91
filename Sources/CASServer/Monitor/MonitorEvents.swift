import CASCore
import CASWire
import Synchronization

/// `GET /monitor/api/events`: one logged-in browser's live feed, as Server-Sent Events (`text/event-stream`). It
/// carries the `ServerEvents` of the sessions the viewer may see (`AccessControl.mayManageSession`): `progress` and
/// `log` (the frames the protocol streams), `call` (a call made or ended) and `training` (an epoch or a state change).
///
/// Bounded for a client that does not read: events wait in a buffer of `buffer` entries; when it is full the oldest
/// are dropped, and the next event written is preceded by a `gap` event (the page then re-reads the snapshot). Writes
/// wait for the socket (NIO's writability), so nothing else grows. The stream ends when the login ends (logout, expiry,
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

    /// Writes the stream with `write` until it ends. `write` throws when the client has gone.
    func run(write: @Sendable (String) async throws -> Void) async {
        let (items, feed) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(Self.buffer))
        let dropped = Atomic<Int>(0)
        let events = monitor.server.events
        let id = events.subscribe({ [viewer] e in
            guard AccessControl.mayManageSession(owner: e.owner, user: viewer.user, isAdmin: viewer.isAdmin) else { return }
            if case .dropped = feed.yield(.event(e)) { dropped.add(1, ordering: .relaxed) }
        }, finish: { feed.finish() })
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.tick)
                feed.yield(.tick)
            }
        }
        defer {
            ticker.cancel()
            events.unsubscribe(id)
            feed.finish()
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
                        try await write(Self.text(h))
                    }
                    if ticks % ticksPerHeartbeat == 0 { try await write(": keep-alive\n\n") }
                case .event(let e): try await write(Self.text(e))
                }
            }
        } catch {
            return  // the client went away
        }
    }

    /// Whether the login is still live (it may have logged out, expired, or its user been removed).
    func loginIsLive() async -> Bool { await monitor.current(token: token) != nil }

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
        }
        return .dict(v)
    }
}
