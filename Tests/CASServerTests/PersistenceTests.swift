import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

@Suite("Persistence to SQLite", .serialized)
struct PersistenceTests {
    static func tempRoot() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-persist-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }

    @Test func saveAndLoadRoundTripEveryTypeExactly() async throws {
        let s = try await TestServer.start()
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
        await s.stop()
    }

    @Test func promotedTablesSurviveKillNineAndRestart() async throws {
        let root = try Self.tempRoot()
        let p1 = try ServerProcess(dataRoot: root)
        let a = try await p1.connect()
        try await ok(a, "table.addTable", ["table": "facts", "caslib": "Public", "promote": true, "vars": allTypesVars, "rows": allTypesRows])
        let before = try #require(try await ok(a, "table.fetch", ["table": ["name": "facts", "caslib": "Public"]]).results["Fetch"]?.tableValue)
        p1.kill9()
        let p2 = try ServerProcess(dataRoot: root)
        let again = try await p2.connect()
        #expect(try await ok(again, "table.tableExists", ["name": "facts", "caslib": "Public"]).results["exists"] == 2)
        let after = try #require(try await ok(again, "table.fetch", ["table": ["name": "facts", "caslib": "Public"]]).results["Fetch"]?.tableValue)
        #expect(after.columns == before.columns)
        await again.close()
        p2.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    @Test func killNineDuringASaveKeepsThePreviousVersion() async throws {
        let root = try Self.tempRoot()
        var csv = "a,b,c\n"
        for i in 0..<600_000 { csv += "\(i),\(i % 7).25,text\(i % 101)\n" }
        try FileManager.default.createDirectory(atPath: root + "/casuser/alice", withIntermediateDirectories: true)
        try csv.write(toFile: root + "/casuser/alice/big.csv", atomically: true, encoding: .utf8)
        let p1 = try ServerProcess(dataRoot: root)
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
        let p2 = try ServerProcess(dataRoot: root)
        let c2 = try await p2.connect()
        try await ok(c2, "table.loadTable", ["path": "data", "casOut": "restored"])
        let t = try #require(try await ok(c2, "table.fetch", ["table": "restored"]).results["Fetch"]?.tableValue)
        #expect(t.rowCount == 3)
        #expect(t.column("s")?.data == .varchar(["héllo, \"world\"", nil, ""]))
        await c2.close()
        p2.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    @Test func usersManagedWithTheCLILogIntoAPasswordServer() async throws {
        let root = try Self.tempRoot()
        #expect(try ServerProcess.cli(["users", "add", "bob", "--data", root, "--password-stdin"], input: "first-pw\n") == 0)
        #expect(try ServerProcess.cli(["users", "add", "bob", "--data", root, "--password-stdin"], input: "again\n") != 0, "duplicate user")
        #expect(try ServerProcess.cli(["users", "add", "eve", "--data", root, "--password-stdin"], input: "x\n") != 0, "too short")
        let p = try ServerProcess(dataRoot: root, auth: "password")
        let bob = try await p.connect("bob", password: "first-pw")
        try await ok(bob, "builtins.ping")
        await #expect(throws: ClientError.self) { _ = try await p.connect("bob", password: "nope") }
        #expect(try ServerProcess.cli(["users", "passwd", "bob", "--data", root, "--password-stdin"], input: "second-pw\n") == 0)
        try await ok(try await p.connect("bob", password: "second-pw"), "builtins.ping")
        await #expect(throws: ClientError.self) { _ = try await p.connect("bob", password: "first-pw") }
        #expect(try ServerProcess.cli(["users", "remove", "bob", "--data", root]) == 0)
        await #expect(throws: ClientError.self) { _ = try await p.connect("bob", password: "second-pw") }
        p.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    @Test func aCorruptedDatabaseGivesAClearErrorAndOtherCaslibsKeepWorking() async throws {
        let s = try await TestServer.start()
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
        await s.stop()
    }
}
