import CASClient
import CASCore
import CASTestSupport
import CASWire
import Foundation
import Testing

/// `GET /monitor/api/events` read as a browser's EventSource reads it, over a raw 127.0.0.1 socket: the response
/// head, then `event:` / `data:` lines (any chunk-size lines between them are skipped).
struct EventStreamReader {
    let sock: RawSocket
    /// The status line and headers, lowercased names.
    var status = ""
    var headers: [String: String] = [:]

    static func open(_ s: TestServer, cookie: String?) async throws -> EventStreamReader {
        let sock = try await RawSocket.connect(port: try #require(s.server.httpPort))
        let cookieLine = cookie.map { "Cookie: caslite_monitor=\($0)\r\n" } ?? ""
        try await sock.send("GET /monitor/api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\(cookieLine)\r\n")
        var r = EventStreamReader(sock: sock)
        r.status = try await sock.readLine().trimmingCharacters(in: .whitespacesAndNewlines)
        while true {
            let line = try await sock.readLine().trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { break }
            let kv = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2 { r.headers[kv[0].lowercased()] = kv[1] }
        }
        return r
    }

    /// The next event (name and JSON data); throws when the stream ends first.
    func next() async throws -> (name: String, data: Value) {
        var name: String?
        while true {
            let line = try await sock.readLine().trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: "), let n = name { return (n, try JSONParser.parse(Array(line.utf8.dropFirst(6)))) }
        }
    }

    /// Reads events until one named `name` satisfies `match`; returns it and every event read before it.
    func until(_ name: String, _ match: (Value) -> Bool = { _ in true }) async throws -> (Value, [(name: String, data: Value)]) {
        var seen: [(name: String, data: Value)] = []
        while true {
            let e = try await next()
            if e.name == name, match(e.data) { return (e.data, seen) }
            seen.append(e)
        }
    }
}

/// The monitor's live feed (Server-Sent Events): the protocol's progress and log frames, calls made and ended, to the
/// sessions' owners only; the stream ends with the login and with the server, and a reader that does not read holds a
/// bounded buffer.
@Suite("Web monitor: live events", .serialized)
struct MonitorEventsTests {
    func withMonitor(_ body: (TestServer) async throws -> Void) async throws {
        try await TestServer.start(auth: .password, users: MonitorTests.users, http: true).run(body)
    }

    @Test func theProtocolsFramesReachTheSessionsOwnerAndAdministratorsOnly() async throws {
        try await withMonitor { s in
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let b = try await MonitorBrowser.loggedIn(s, "bob")
            let r = try await MonitorBrowser.loggedIn(s, "root")
            let mine = try await EventStreamReader.open(s, cookie: a.cookie)
            #expect(mine.status.hasPrefix("HTTP/1.1 200"))
            #expect(mine.headers["content-type"] == "text/event-stream; charset=utf-8")
            #expect(mine.headers["cache-control"] == "no-store")
            #expect(mine.headers["content-length"] == nil)
            let bobs = try await EventStreamReader.open(s, cookie: b.cookie)
            let roots = try await EventStreamReader.open(s, cookie: r.cookie)

            let alice = try await s.connect("alice", password: "pw")
            let bob = try await s.connect("bob", password: "pw")
            let sleeping = try await MonitorTests().startSleep(alice, tag: "<b>watched</b>")
            let (started, _) = try await mine.until("call") { $0["action"] == "testing.sleep" && $0["state"] == "started" }
            #expect(started["session"].stringValue == alice.sessionId)
            #expect(started["user"] == "alice")
            let (progress, _) = try await mine.until("progress")
            #expect(progress["action"] == "testing.sleep")
            #expect(progress["progress"]["unit"].stringValue?.isEmpty == false)
            _ = try await roots.until("progress") { $0["session"].stringValue == alice.sessionId }

            let other = try await s.connect("alice", password: "pw")  // a session runs one action at a time
            _ = try await other.call("table.fetch", ["table": "nosuchtable"])
            let (error, _) = try await mine.until("log") { $0["level"] == "ERROR" }
            #expect(error["action"] == "table.fetch")
            #expect(error["message"].stringValue?.contains("nosuchtable") == true)

            let id = try #require(try await a.api("actions")["actions"][0]["id"].stringValue)
            #expect(try await a.postJSON("/monitor/api/actions/\(id)/cancel", csrf: a.csrf).status == 200)
            let (ended, _) = try await mine.until("call") { $0["action"] == "testing.sleep" && $0["state"] == "ended" }
            #expect(ended["severity"] == "Error")
            #expect(await sleeping.value?.disposition.reason == "abort")

            // bob's stream carries his own session's events and none of alice's
            try await ok(bob, "session.sessionName", ["name": "bobs"])
            let (_, before) = try await bobs.until("call") { $0["session"].stringValue == bob.sessionId && $0["state"] == "ended" }
            #expect(!before.contains { $0.data["session"].stringValue == alice.sessionId }, "\(before.map(\.name))")
            for m in [a, b, r] { await m.close() }
        }
    }

    @Test func withoutALoginThereIsNoStream() async throws {
        try await withMonitor { s in
            let none = try await EventStreamReader.open(s, cookie: nil)
            #expect(none.status.hasPrefix("HTTP/1.1 401"))
            let forged = try await EventStreamReader.open(s, cookie: String(repeating: "ab", count: 32))
            #expect(forged.status.hasPrefix("HTTP/1.1 401"))
            let b = try await MonitorBrowser.loggedIn(s, "bob")
            let post = try await b.postJSON("/monitor/api/events", csrf: b.csrf)
            #expect(post.status == 405)
            await b.close()
        }
    }

    @Test func theStreamEndsWhenTheLoginEnds() async throws {
        try await withMonitor { s in
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let stream = try await EventStreamReader.open(s, cookie: a.cookie)
            let alice = try await s.connect("alice", password: "pw")
            try await ok(alice, "session.sessionName", ["name": "before"])
            _ = try await stream.until("call") { $0["state"] == "ended" }

            #expect(try await a.post("/monitor/logout", csrf: a.csrf).status == 303)
            try await Task.sleep(for: .milliseconds(1100))  // the login is checked at most once a second (and every 15 s)
            try await ok(alice, "session.sessionName", ["name": "after"])  // the next event finds the login gone
            _ = try await stream.until("logout")
            #expect(await stream.sock.closedByPeer(), "the server closes the stream's connection")
            #expect(s.server.context.events.count == 0, "and forgets the subscriber")
            await a.close()
        }
    }

    @Test func theStreamEndsWhenTheServerStops() async throws {
        let s = try await TestServer.start(auth: .password, users: MonitorTests.users, http: true)
        let a = try await MonitorBrowser.loggedIn(s, "alice")
        let stream = try await EventStreamReader.open(s, cookie: a.cookie)
        while s.server.context.events.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
        await a.close()
        await s.stop()
        #expect(await stream.sock.closedByPeer())
    }

    @Test func aReaderThatDoesNotReadHoldsABoundedBufferAndIsToldWhatItMissed() async throws {
        try await withMonitor { s in
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let stream = try await EventStreamReader.open(s, cookie: a.cookie)
            let events = s.server.context.events
            while events.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            // 20 000 lines of 4 KiB (80 MB) published while the reader reads nothing
            let message = String(repeating: "x", count: 4096)
            let total = 20_000
            for i in 0..<total {
                events.publish(ServerEvent(.log(LogLine(.note, "\(i) \(message)")), session: "s", owner: "alice", action: "testing.flood"))
            }
            events.publish(ServerEvent(.log(LogLine(.note, "last")), session: "s", owner: "alice", action: "testing.flood"))
            let (_, read) = try await stream.until("log") { $0["message"] == "last" }
            let delivered = read.filter { $0.name == "log" }.count
            let dropped = read.filter { $0.name == "gap" }.compactMap { $0.data["dropped"].intValue }.reduce(0, +)
            #expect(dropped > 0, "the buffer is bounded: what did not fit was dropped, not held")
            #expect(delivered + Int(dropped) == total, "every event was either delivered or counted in a gap event")
            #expect(delivered < total / 2, "\(delivered) delivered")
            let page = try await a.get("/monitor/api/server")
            #expect(page.status == 200, "the server stays up")
            await a.close()
        }
    }

    /// The stream never stalls for a reader that reads: through four seconds of a flood (far more than the 20 events a
    /// second a stream writes), events keep arriving every second or so, and the flood's last event arrives.
    @Test func aReadingStreamKeepsDeliveringThroughAFlood() async throws {
        try await withMonitor { s in
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let stream = try await EventStreamReader.open(s, cookie: a.cookie)
            let events = s.server.context.events
            while events.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let flood = Task.detached {
                let end = Date().addingTimeInterval(4)
                var i: Int64 = 0
                while Date() < end {
                    events.publish(ServerEvent(.progress(Progress(done: i, total: 0, unit: "step", message: "flood")), session: "s", owner: "alice",
                                               action: "testing.flood"))
                    i += 1
                    if i % 100 == 0 { try? await Task.sleep(for: .milliseconds(1)) }
                }
                events.publish(ServerEvent(.log(LogLine(.note, "last")), session: "s", owner: "alice", action: "testing.flood"))
                return i
            }
            var arrivals: [Date] = []
            while true {
                let e = try await stream.next()
                arrivals.append(Date())
                if e.name == "log" && e.data["message"] == "last" { break }
            }
            let published = await flood.value
            let gaps = zip(arrivals, arrivals.dropFirst()).map { $1.timeIntervalSince($0) }
            #expect(published > 1000, "a flood: \(published) events")
            #expect(arrivals.count >= 40, "events kept coming through the flood: \(arrivals.count)")
            #expect((gaps.max() ?? 0) < 5, "no stall: the longest wait between two events was \(gaps.max() ?? 0) s")
            await a.close()
        }
    }

    @Test func sessionAndTableEventsNameWhatOnlyThoseWhoMaySeeItSee() async throws {
        try await withMonitor { s in
            let (a, b, r) = (try await MonitorBrowser.loggedIn(s, "alice"), try await MonitorBrowser.loggedIn(s, "bob"),
                             try await MonitorBrowser.loggedIn(s, "root"))
            let mine = try await EventStreamReader.open(s, cookie: a.cookie)
            let bobs = try await EventStreamReader.open(s, cookie: b.cookie)
            let roots = try await EventStreamReader.open(s, cookie: r.cookie)
            while s.server.context.events.count < 3 { try await Task.sleep(for: .milliseconds(10)) }

            let alice = try await s.connect("alice", password: "pw")
            let (created, _) = try await mine.until("session") { $0["session"].stringValue == alice.sessionId && $0["state"] == "created" }
            #expect(created["user"] == "alice")
            _ = try await mine.until("session") { $0["session"].stringValue == alice.sessionId && $0["state"] == "connected" }
            try await ok(alice, "table.addTable", ["table": "hushsession", "vars": [["name": "x"]], "rows": [[1]]])
            let (added, _) = try await mine.until("table") { $0["name"] == "HUSHSESSION" || $0["name"] == "hushsession" }
            #expect(added["change"] == "added" && added["scope"] == "session" && added["caslib"] == "CASUSER(alice)")
            #expect(added["session"].stringValue == alice.sessionId)

            // promoted into her personal caslib: a global table bob may not see
            try await Task.sleep(for: .milliseconds(1100))  // a new second: the stream's 20 events a second start again
            try await ok(alice, "table.promote", ["name": "hushsession", "caslib": "CASUSER(alice)"])
            let (promoted, _) = try await roots.until("table") { $0["change"] == "promoted" }
            #expect(promoted["scope"] == "global" && promoted["name"].stringValue?.lowercased() == "hushsession", "an administrator sees its name")
            #expect(promoted["session"] == .null && promoted["user"] == .null)
            _ = try await mine.until("table") { $0["change"] == "promoted" && $0["name"].stringValue?.lowercased() == "hushsession" }
            try await Task.sleep(for: .milliseconds(1100))
            try await ok(alice, "table.dropTable", ["name": "hushsession", "caslib": "CASUSER(alice)"])
            let (dropped, _) = try await roots.until("table") { $0["change"] == "dropped" && $0["scope"] == "global" }
            #expect(dropped["name"].stringValue?.lowercased() == "hushsession")

            // bob's own session, then what his stream carried until it: no name, session or user of alice's
            let bob = try await s.connect("bob", password: "pw")
            let (_, before) = try await bobs.until("session") { $0["session"].stringValue == bob.sessionId && $0["state"] == "connected" }
            let text = before.map { "\($0.name) \($0.data)" }.joined(separator: "\n")
            #expect(!text.lowercased().contains("hush") && !text.contains(alice.sessionId) && !text.contains("alice"), "\(text)")
            #expect(before.contains { $0.name == "table" && $0.data["change"] == "dropped" && $0.data["name"] == .null },
                    "a global table's drop is told without its name: \(text)")
            #expect(!before.contains { $0.name == "table" && $0.data["change"] == "promoted" }, "its promotion not at all")

            // her session ends: her stream and the administrator's are told, bob's is not
            #expect(try await a.postJSON("/monitor/api/sessions/\(alice.sessionId)/end", csrf: a.csrf).status == 200)
            _ = try await mine.until("session") { $0["session"].stringValue == alice.sessionId && $0["state"] == "ended" }
            _ = try await roots.until("session") { $0["session"].stringValue == alice.sessionId && $0["state"] == "ended" }
            try await ok(bob, "session.sessionName", ["name": "marker"])
            let (_, later) = try await bobs.until("call") { $0["session"].stringValue == bob.sessionId && $0["state"] == "ended" }
            #expect(!later.contains { $0.data["session"].stringValue == alice.sessionId })
            for m in [a, b, r] { await m.close() }
        }
    }

    @Test func streamsThatDoNotReadAreClosedOnceOverTheirShareOfTheEventBudget() async throws {
        let log = CapturedLog()
        try await TestServer.start(auth: .password, users: MonitorTests.users, http: true, log: log).run { s in
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let events = s.server.context.events, memory = s.server.context.memory
            var stalled: [EventStreamReader] = []
            for _ in 0..<4 { stalled.append(try await EventStreamReader.open(s, cookie: a.cookie)) }  // never read again
            while events.count < 4 { try await Task.sleep(for: .milliseconds(10)) }
            let before = memory.used()
            // progress frames of 1 MiB each: the first second's fill the sockets, the rest wait in the streams
            let message = String(repeating: "p", count: 1 << 20)
            var most = 0
            for i in 0..<400 {
                events.publish(ServerEvent(.progress(Progress(done: Int64(i), total: 400, unit: "step", message: message)), session: "s", owner: "alice",
                                           action: "testing.flood"))
                most = max(most, memory.used() - before)
                if i % 20 == 19 { try await Task.sleep(for: .milliseconds(50)) }  // the writers run meanwhile
            }
            #expect(most <= Limits.monitorEventBytes, "what waits for the streams, all together, stays within the budget: \(most)")
            #expect(most > 0, "and was charged to the memory budget")
            for r in stalled { #expect(await r.sock.closedByPeer(), "a stream over its share is closed") }
            while events.count > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(memory.used() == before, "what they held is released")
            let warnings = log.lines.withLock { $0 }.filter { $0.0 == .warning && $0.1.contains("monitor event stream of alice") }
            #expect(warnings.count == 4, "\(warnings)")
            #expect(warnings.first?.1.contains("past its share") == true && warnings.first?.1.contains("closing the stream") == true, "\(warnings)")

            // a reader that reads is unaffected
            let reading = try await EventStreamReader.open(s, cookie: a.cookie)
            while events.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            events.publish(ServerEvent(.log(LogLine(.note, "after")), session: "s", owner: "alice", action: "testing.flood"))
            _ = try await reading.until("log") { $0["message"] == "after" }
            #expect(try await a.get("/monitor/api/server").status == 200, "the server stays up")
            await a.close()
        }
    }

    /// Review finding: one user opened thousands of event streams (40 KB and a connection each). A user has at most
    /// `Limits.monitorStreamsPerUser`; the next is told so and ends; closing one makes room; other users are unaffected.
    @Test func aUserHasABoundedNumberOfEventStreams() async throws {
        try await TestServer.start(auth: .password, users: MonitorTests.users, http: true).run { s in
            let a = try await MonitorBrowser.loggedIn(s, "alice"), b = try await MonitorBrowser.loggedIn(s, "bob")
            let events = s.server.context.events
            var open: [EventStreamReader] = []
            for _ in 0..<Limits.monitorStreamsPerUser { open.append(try await EventStreamReader.open(s, cookie: a.cookie)) }
            while events.count < Limits.monitorStreamsPerUser { try await Task.sleep(for: .milliseconds(10)) }
            let refused = try await EventStreamReader.open(s, cookie: a.cookie)
            let (answer, _) = try await refused.until("refused")
            #expect(answer["error"].stringValue?.contains("\(Limits.monitorStreamsPerUser) event streams open") == true)
            #expect(await refused.sock.closedByPeer())
            #expect(events.count == Limits.monitorStreamsPerUser)
            let bobs = try await EventStreamReader.open(s, cookie: b.cookie)
            while events.count < Limits.monitorStreamsPerUser + 1 { try await Task.sleep(for: .milliseconds(10)) }
            _ = open.removeLast()   // its socket closes as it goes
            while events.count > Limits.monitorStreamsPerUser { try await Task.sleep(for: .milliseconds(10)) }
            let again = try await EventStreamReader.open(s, cookie: a.cookie)
            while events.count < Limits.monitorStreamsPerUser + 1 { try await Task.sleep(for: .milliseconds(10)) }
            events.publish(ServerEvent(.log(LogLine(.note, "room")), session: "s", owner: "alice", action: "testing.streams"))
            _ = try await again.until("log") { $0["message"] == "room" }
            _ = bobs
            await a.close()
            await b.close()
        }
    }
}
