import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

@Suite("Persistence to SQLite", .serialized)
struct PersistenceTests {
    @Test func saveAndLoadRoundTripEveryTypeExactly() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "types", "label": "All types", "vars": allTypesVars, "rows": allTypesRows])
            let before = try #require(try await ok(c, "table.fetch", ["table": "types"]).results["Fetch"]?.tableValue)
            try await ok(c, "table.save", ["table": "types", "name": "kept"])
            try await fails(c, "table.save", ["table": "types", "name": "kept"], "already exists")
            try await ok(c, "table.loadTable", ["path": "kept", "casOut": "back"])
            let after = try #require(try await ok(c, "table.fetch", ["table": "back"]).results["Fetch"]?.tableValue)
            #expect(after.columns == before.columns, "every type, label, format, attribute and missing value")
            let files = try await ok(c, "table.fileInfo")
            #expect(files.results["FileInfo"]?.tableValue?.column("Name")?.data.strings.contains("kept") == true)
            try await ok(c, "table.deleteSource", ["source": "kept"])
            try await fails(c, "table.loadTable", ["path": "kept"], "no file or saved table")
        }
    }

    @Test func promotedTablesSurviveKillNineAndRestart() async throws {
        try await withDataRoot { root in
            let before = try await ServerProcess(dataRoot: root).run { p1 in
                let a = try await p1.connect()
                try await ok(a, "table.addTable", ["table": "facts", "caslib": "Public", "promote": true, "vars": allTypesVars, "rows": allTypesRows])
                let before = try #require(try await ok(a, "table.fetch", ["table": ["name": "facts", "caslib": "Public"]]).results["Fetch"]?.tableValue)
                p1.kill9()
                return before
            }
            try await ServerProcess(dataRoot: root).run { p2 in
                let again = try await p2.connect()
                #expect(try await ok(again, "table.tableExists", ["name": "facts", "caslib": "Public"]).results["exists"] == 2)
                let after = try #require(try await ok(again, "table.fetch", ["table": ["name": "facts", "caslib": "Public"]]).results["Fetch"]?.tableValue)
                #expect(after.columns == before.columns)
                await again.close()
            }
        }
    }

    @Test func killNineDuringASaveKeepsThePreviousVersion() async throws {
        try await withDataRoot { root in
            var csv = "a,b,c\n"
            for i in 0..<600_000 { csv += "\(i),\(i % 7).25,text\(i % 101)\n" }
            try FileManager.default.createDirectory(atPath: root + "/casuser/alice", withIntermediateDirectories: true)
            try csv.write(toFile: root + "/casuser/alice/big.csv", atomically: true, encoding: .utf8)
            try await ServerProcess(dataRoot: root).run { p1 in
                let c = try await p1.connect()
                try await ok(c, "table.addTable", ["table": "small", "vars": allTypesVars, "rows": allTypesRows])
                try await ok(c, "table.save", ["table": "small", "name": "data"])
                try await ok(c, "table.loadTable", ["path": "big.csv", "casOut": "big"])
                var killed = false
                for await event in c.stream("table.save", ["table": "big", "name": "data", "replace": true]) {
                    if case .progress = event, !killed {
                        killed = true
                        p1.kill9()
                    }
                }
                #expect(killed, "the save must have reported progress before finishing")
            }
            try await ServerProcess(dataRoot: root).run { p2 in
                let c2 = try await p2.connect()
                try await ok(c2, "table.loadTable", ["path": "data", "casOut": "restored"])
                let t = try #require(try await ok(c2, "table.fetch", ["table": "restored"]).results["Fetch"]?.tableValue)
                #expect(t.rowCount == 3)
                #expect(t.column("s")?.data == .varchar(["héllo, \"world\"", nil, ""]))
                await c2.close()
            }
        }
    }

    @Test func usersManagedWithTheCLILogIntoAPasswordServer() async throws {
        try await withDataRoot { root in
            #expect(try ServerProcess.cli(["users", "add", "bob", "--data", root, "--password-stdin"], input: "first-pw\n") == 0)
            #expect(try ServerProcess.cli(["users", "add", "bob", "--data", root, "--password-stdin"], input: "again\n") != 0, "duplicate user")
            #expect(try ServerProcess.cli(["users", "add", "eve", "--data", root, "--password-stdin"], input: "x\n") != 0, "too short")
            for bad in ["../eve", ".eve", "e ve", String(repeating: "e", count: 65)] {  // Names' user rule
                #expect(try ServerProcess.cli(["users", "add", bad, "--data", root, "--password-stdin"], input: "long-enough\n") != 0, "\(bad)")
            }
            try await ServerProcess(dataRoot: root, auth: "password").run { p in
                let bob = try await p.connect("bob", password: "first-pw")
                try await ok(bob, "builtins.ping")
                await #expect(throws: ClientError.self) { _ = try await p.connect("bob", password: "nope") }
                #expect(try ServerProcess.cli(["users", "passwd", "bob", "--data", root, "--password-stdin"], input: "second-pw\n") == 0)
                try await ok(try await p.connect("bob", password: "second-pw"), "builtins.ping")
                await #expect(throws: ClientError.self) { _ = try await p.connect("bob", password: "first-pw") }
                #expect(try ServerProcess.cli(["users", "remove", "bob", "--data", root]) == 0)
                await #expect(throws: ClientError.self) { _ = try await p.connect("bob", password: "second-pw") }
            }
        }
    }

    @Test func aCorruptedDatabaseGivesAClearErrorAndOtherCaslibsKeepWorking() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": allTypesVars, "rows": allTypesRows])
            try await ok(c, "table.save", ["table": "t"])
            try await ok(c, "table.save", ["table": "t", "caslib": "Public"])
            let db = s.dataRoot + "/casuser/alice/.caslite.sqlite"
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
            try Data(repeating: 0x5A, count: 10_000).write(to: URL(fileURLWithPath: db))
            try await fails(c, "table.loadTable", ["path": "t", "casOut": "x"], "damaged or is not a database")
            try await ok(c, "table.loadTable", ["path": "t", "caslib": "Public", "casOut": "fromPublic"])
            try await ok(c, "builtins.ping")
        }
    }
}
