import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

@Suite("Sessions over loopback", .serialized)
struct SessionTests {
    /// Re-attaching `user` to `session` must fail with a message containing `fragment`.
    func expectReattachRefused(_ s: TestServer, _ transport: Transport, _ user: String, _ session: String, _ fragment: String,
                               sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            _ = try await s.client(transport, user, session: session)
            Issue.record("re-attaching \(user) to \(session) should fail", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Transport.allCases)
    func twoUsersSessionsAreIsolated(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let alice = try await s.client(transport, "alice")
            let bob = try await s.client(transport, "bob")
            let alice2 = try await s.client(transport, "alice")
            try await ok(alice, "table.addTable", ["table": "secret", "caslib": "Public", "vars": allTypesVars, "rows": allTypesRows])
            try await fails(bob, "table.fetch", ["table": ["name": "secret", "caslib": "Public"]], "does not exist")
            try await fails(alice2, "table.fetch", ["table": ["name": "secret", "caslib": "Public"]], "does not exist")
            #expect(try await ok(alice, "table.tableExists", ["name": "secret", "caslib": "public"]).results["exists"] == 1)
            #expect(try await ok(bob, "session.sessionId").results["uuid"]?.stringValue == bob.sessionId)
            #expect(alice.sessionId != alice2.sessionId)
            // listSessions shows only your own sessions.
            let ls = try await ok(alice, "session.listSessions")
            let users = Set(ls.results["Session"]?.tableValue?.column("Userid")?.data.strings ?? [])
            #expect(users == ["alice"])
            #expect(ls.results["Session"]?.tableValue?.rowCount == 2)
        }
    }

    @Test(arguments: Transport.allCases)
    func adminsSeeAndEndEverySession(_ transport: Transport) async throws {
        try await TestServer.start(admins: ["root"], http: true).run { s in
            let bob = try await s.client(transport, "bob")
            let root = try await s.client(transport, "root")
            let ls = try await ok(root, "session.listSessions")
            #expect(Set(ls.results["Session"]?.tableValue?.column("Userid")?.data.strings ?? []) == ["bob", "root"])
            let eve = try await s.client(transport, "eve")
            try await fails(eve, "session.endSession", ["uuid": .string(bob.sessionId)], "owner or an administrator")
            try await ok(root, "session.endSession", ["uuid": .string(bob.sessionId)])
            await expectReattachRefused(s, transport, "bob", bob.sessionId, transport == .rest ? "not found" : "could not find session")
        }
    }

    @Test(arguments: Transport.allCases)
    func reattachAfterADroppedConnectionKeepsTables(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "keep", "vars": allTypesVars, "rows": allTypesRows])
            try await ok(c, "session.sessionName", ["name": "my work"])
            let id = c.sessionId
            await c.close()
            let again = try await s.client(transport, "alice", session: id)
            #expect(again.sessionId == id)
            #expect(try await ok(again, "table.tableExists", ["name": "keep"]).results["exists"] == 1)
            #expect(try await ok(again, "session.sessionName").results["name"] == "my work")
            // another user's session is answered as one that does not exist: ids are not confirmed
            await expectReattachRefused(s, transport, "mallory", id, transport == .rest ? "not found" : "could not find session")
        }
    }

    @Test(arguments: Transport.allCases)
    func idleSessionsTimeOut(_ transport: Transport) async throws {
        try await TestServer.start(reapInterval: 0.2, http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "session.timeout", ["time": 1])
            #expect(try await ok(c, "sessionProp.getSessOpt", ["name": "timeout"]).results["timeout"] == 1)
            let id = c.sessionId
            await c.close()
            try await Task.sleep(for: .seconds(2.5))
            await expectReattachRefused(s, transport, "alice", id, transport == .rest ? "not found" : "could not find session")
        }
    }

    @Test(arguments: Transport.allCases)
    func sessionOptions(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "sessionProp.setSessOpt", ["caslib": "public", "metrics": true])
            let r = try await ok(c, "sessionProp.getSessOpt", ["name": "caslib"])
            #expect(r.results["caslib"] == "Public")
            #expect(r.logs.contains { $0.message.contains("Total process time") })
            try await fails(c, "sessionProp.setSessOpt", ["caslib": "nowhere"], "does not exist")
            try await fails(c, "sessionProp.getSessOpt", ["name": "colour"], "does not accept")
        }
    }

    @Test(arguments: Transport.allCases)
    func fiftyConcurrentSessionsMakeAHundredCallsEach(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<50 {
                    group.addTask {
                        let c = try await s.client(transport, "user\(n % 5)")
                        try await ok(c, "table.addTable", ["table": "mine", "vars": [["name": "n", "type": "int64"]], "rows": [[.int(Int64(n))]]])
                        var good = 0
                        for i in 0..<100 {
                            if i % 2 == 0 {
                                let r = try await c.call("table.fetch", ["table": "mine"])
                                if r.results["Fetch"]?.tableValue?.column("n")?.data == .int64([Int64(n)]) { good += 1 }
                            } else {
                                let r = try await c.call("builtins.echo", ["i": .int(Int64(i)), "n": .int(Int64(n))])
                                if r.results["i"] == .int(Int64(i)) && r.results["n"] == .int(Int64(n)) { good += 1 }
                            }
                        }
                        await c.close()
                        return good
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(results.count == 50)
            #expect(results.allSatisfy { $0 == 100 })
        }
    }
}
