import CASClient
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

/// Cancellation reaches the action's check points (`testing.sleep` records whether it was cancelled),
/// only through the connection that made the call, and whenever a client disconnects.
@Suite("Cancellation", .serialized)
struct CancelTests {
    static func tag() -> String { "cancel-\(UUID().uuidString)" }

    /// Starts `testing.sleep` on `c`; returns its request id and a task with the response.
    func startSleep(_ c: CASConnection, tag: String, seconds: Double = 60) async throws -> (Int64, Task<Response?, Never>) {
        let id = Mutex<Int64?>(nil)
        let started = AsyncStream.makeStream(of: Void.self)
        let events = c.stream("testing.sleep", ["seconds": .double(seconds), "tag": .string(tag)], onStart: { i in id.withLock { $0 = i } })
        let response = Task { () -> Response? in
            var started: AsyncStream<Void>.Continuation? = started.continuation
            for await event in events {
                switch event {
                case .progress:
                    started?.yield()
                    started?.finish()
                    started = nil
                case .log: break
                case .response(let r): return r
                }
            }
            started?.finish()
            return nil
        }
        for await _ in started.stream { break }
        return (try #require(id.withLock { $0 }), response)
    }

    @Test func aCancelFrameStopsTheCallAndTheSessionStaysUsable() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            let tag = Self.tag()
            let (id, response) = try await startSleep(c, tag: tag)
            try await c.cancel(id)
            let r = try #require(await response.value)
            #expect(r.disposition.severity == .error)
            #expect(r.disposition.reason == "abort")
            #expect(Sleep.outcome(tag) == "cancelled")
            try await ok(c, "builtins.ping")
        }
    }

    /// Request ids are the client's: a second connection to the same session (its ids also start at 1)
    /// cannot cancel the first one's call.
    @Test func aCancelFrameReachesOnlyItsOwnConnectionsCalls() async throws {
        try await TestServer.start().run { s in
            let a = try await s.connect()
            let tag = Self.tag()
            let (id, response) = try await startSleep(a, tag: tag)
            #expect(id == 1)
            let b = try await RawSocket.connect(port: s.server.port)  // a raw client: the session is busy with a's call
            try await b.send("{\"hello\": {\"user\": \"alice\", \"session\": \"\(a.sessionId)\"}}\n")
            #expect(try await b.readLine().contains("welcome"))
            try await b.send("{\"cancel\": 1}\n")
            #expect(try await b.readLine() == #"{"id":1,"log":{"level":"WARNING","message":"No running call with id 1 to cancel."}}"#)
            #expect(Sleep.outcome(tag) == "started", "b's cancel must not reach a's call 1")
            try await a.cancel(id)
            #expect(try #require(await response.value).disposition.reason == "abort")
            #expect(Sleep.outcome(tag) == "cancelled")
        }
    }

    /// A cancel sent right after the request (no wait) is never overtaken by it: sends are ordered.
    @Test func aCancelRightAfterTheRequestFindsIt() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            for _ in 0..<20 {
                let id = Mutex<Int64?>(nil)
                let events = c.stream("testing.sleep", ["seconds": 60, "tag": .string(Self.tag())], onStart: { i in id.withLock { $0 = i } })
                try await c.cancel(try #require(id.withLock { $0 }))
                var response: Response?
                var warnings: [String] = []
                for await e in events {
                    if case .response(let r) = e { response = r }
                    if case .log(let l) = e, l.level == .warning { warnings.append(l.message) }
                }
                #expect(response?.disposition.reason == "abort")
                #expect(warnings.isEmpty, "\(warnings)")
            }
        }
    }

    /// A call waiting for the session behind another one leaves the queue when cancelled.
    @Test func aQueuedCallIsCancelledWithoutWaitingForItsTurn() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            let first = Self.tag(), second = Self.tag()
            let (_, running) = try await startSleep(c, tag: first)
            let id = Mutex<Int64?>(nil)
            let queued = c.stream("testing.sleep", ["seconds": 60, "tag": .string(second)], onStart: { i in id.withLock { $0 = i } })
            try await Task.sleep(for: .milliseconds(100))
            try await c.cancel(try #require(id.withLock { $0 }))
            var response: Response?
            for await e in queued { if case .response(let r) = e { response = r } }
            #expect(response?.disposition.reason == "abort")
            #expect(Sleep.outcome(second) == nil, "the queued call never ran")
            #expect(Sleep.outcome(first) == "started", "the running call goes on")
            try await c.cancel(1)
            _ = await running.value
        }
    }

    @Test(arguments: Transport.allCases)
    func aClientThatDisconnectsCancelsItsRunningCall(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            let tag = Self.tag()
            let call = Task { try await c.call("testing.sleep", ["seconds": 60, "tag": .string(tag)]) }
            try await waitFor { Sleep.outcome(tag) == "started" }
            await c.close()
            try await waitFor(2) { Sleep.outcome(tag) == "cancelled" }
            _ = try? await call.value
            // The session is free again at once.
            let again = try await s.client(transport, session: c.sessionId)
            try await ok(again, "builtins.ping")
            await again.close()
        }
    }
}
