import CASClient
import CASStorage
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

/// `caslite serve` stops within 10 s of SIGTERM or SIGINT in every state and exits 0 after an orderly
/// stop: it closes client connections and cancels running calls instead of waiting for clients.
/// Every test runs a real process; the bound is 5 s (a hang would be the whole deadline or forever).
@Suite("Server lifecycle: signals and stop", .serialized)
struct LifecycleTests {
    /// A CASL script that calls an action forever: a standard action that runs until it is cancelled.
    static let endlessScript = "do while (1); builtins.ping; end;"

    /// Sends `sig` and expects an orderly exit (status 0) within 5 s.
    func expectOrderlyStop(_ p: ServerProcess, _ sig: Int32 = SIGTERM, sourceLocation: SourceLocation = #_sourceLocation) async {
        let t0 = Date()
        p.signal(sig)
        let status = await p.exitStatus(within: 5)
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running")", sourceLocation: sourceLocation)
        #expect(Date().timeIntervalSince(t0) < 5, sourceLocation: sourceLocation)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aFreshIdleServerStops(_ sig: Int32) async throws {
        try await withDataRoot { root in
            try await ServerProcess(dataRoot: root).run { p in await expectOrderlyStop(p, sig) }
        }
    }

    @Test func anIdleServerStopsAfterItsWorkerThreadsRetired() async throws {
        try await withDataRoot { root in
            try await ServerProcess(dataRoot: root).run { p in
                let c = try await p.connect()
                try await ok(c, "builtins.ping")
                await c.close()
                try await Task.sleep(for: .seconds(7))  // dispatch retires idle worker threads after 5 s
                await expectOrderlyStop(p)
            }
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aServerThatHadAClientStops(_ sig: Int32) async throws {
        try await withDataRoot { root in
            try await ServerProcess(dataRoot: root).run { p in
                let c = try await p.connect()
                try await ok(c, "builtins.ping")
                await c.close()
                await expectOrderlyStop(p, sig)
            }
        }
    }

    @Test func connectedClientsAreDisconnected() async throws {
        try await withDataRoot { root in
            try await ServerProcess(dataRoot: root, http: true).run { p in
                let c = try await p.connect()
                try await ok(c, "builtins.ping")
                let rest = try await RESTTestClient.connect(port: try #require(p.httpPort), user: "bob", password: "pw")
                try await ok(rest, "builtins.ping")
                let waiting = try await RawSocket.connect(port: p.port)  // not logged in yet
                await expectOrderlyStop(p)
                #expect(await waiting.closedByPeer())
                await #expect(throws: (any Error).self) { try await c.call("builtins.ping", ValueDict()) }
                await #expect(throws: (any Error).self) { try await rest.call("builtins.ping", ValueDict()) }
            }
        }
    }

    @Test func runningCallsAreCancelled() async throws {
        try await withDataRoot { root in
            try await ServerProcess(dataRoot: root, http: true).run { p in
                let c = try await p.connect()
                try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
                let running = Task { try await c.call("sccasl.runCasl", ["code": .string(Self.endlessScript)]) }
                let rest = try await RESTTestClient.connect(port: try #require(p.httpPort), user: "bob", password: "pw")
                try await ok(rest, "builtins.loadActionSet", ["actionSet": "sccasl"])
                let restRunning = Task { try await rest.call("sccasl.runCasl", ["code": .string(Self.endlessScript)]) }
                try await Task.sleep(for: .milliseconds(500))
                await expectOrderlyStop(p)
                // The clients were disconnected: their calls end without an answer.
                await #expect(throws: (any Error).self) { try await running.value }
                await #expect(throws: (any Error).self) { try await restRunning.value }
            }
        }
    }
}

/// `CASServer.stop()` in process: connections closed, running and queued calls cancelled.
@Suite("Server stop in process", .serialized)
struct StopTests {
    @Test func stopCancelsRunningCallsAndClosesConnections() async throws {
        try await TestServer.start().run { s in
            let tag = "stop-\(UUID().uuidString)"
            let c = try await s.connect()
            let call = Task { try await c.call("testing.sleep", ["seconds": 60, "tag": .string(tag)]) }
            try await waitFor { Sleep.outcome(tag) == "started" }
            let t0 = Date()
            await s.server.stop()
            #expect(Date().timeIntervalSince(t0) < 2, "stop waits for calls only until they see the cancellation")
            #expect(Sleep.outcome(tag) == "cancelled")
            await #expect(throws: (any Error).self) { try await call.value }
        }
    }
}

/// Polls `condition` every 10 ms for up to `seconds`; fails the test if it never holds.
func waitFor(_ seconds: Double = 5, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within \(seconds) s", sourceLocation: sourceLocation)
}

/// One server per data folder: a second server on the same folder is refused at start, naming the
/// first one's process; once the first stops, the folder is free again.
@Suite("Lifecycle: one server per data folder")
struct DataFolderLockTests {
    @Test func aSecondServerOnTheSameFolderIsRefusedUntilTheFirstStops() async throws {
        let root = try TestServer.freshRoot()
        let first = try await TestServer.start(dataRoot: root)
        do {
            _ = try await TestServer.start(dataRoot: root)
            Issue.record("a second server started on \(root)")
        } catch {
            #expect("\(error)".contains("Another caslite server (process \(getpid()))"), "\(error)")
        }
        try await first.run { s in
            let c = try await s.connect()
            #expect(try await c.call("builtins.ping").disposition.severity != .error, "the first server is not disturbed")
        }
        try await TestServer.start(dataRoot: root).run { s in
            let c = try await s.connect()
            #expect(try await c.call("builtins.ping").disposition.severity != .error)
        }
    }
}

/// `caslite users remove` under a running server: the removed user's open sessions end at their next
/// call, on both front ends (the CLI is another process writing the same server.sqlite).
@Suite("Lifecycle: removed users lose their sessions")
struct RemovedUserTests {
    @Test(arguments: Transport.allCases)
    func aRemovedUsersNextCallEndsTheirSession(_ transport: Transport) async throws {
        try await TestServer.start(auth: .password, users: [("alice", "pw-a", false), ("bob", "pw-b", false)], http: true).run { s in
            let alice = try await s.client(transport, "alice", password: "pw-a")
            let bob = try await s.client(transport, "bob", password: "pw-b")
            try await ok(alice, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            let cli = try ServerStore(path: s.dataRoot + "/server.sqlite")  // what `caslite users remove alice` opens
            try await cli.removeUser("alice")
            let r = try await alice.call("table.fetch", ["table": "t"])
            #expect(r.disposition.severity == .error)
            #expect(r.errorText.contains("no longer exists"), "\(r.errorText)")
            #expect(await s.server.context.sessions.all().allSatisfy { $0.user != "alice" }, "her sessions ended")
            try await ok(bob, "builtins.ping")
        }
    }
}
