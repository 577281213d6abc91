import ActionSetImage
import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

/// The reproductions of "Safe to share" over a real server: each was a way for a logged-in user to
/// crash the server, or to read, change or delete other users' data.
@Suite("Safe to share: hostile users", .serialized)
struct SafeToShareTests {
    /// A server with an administrator `root`, and alice and bob connected over `transport`.
    func withUsers(_ transport: Transport, _ body: (TestServer, any TestClient, any TestClient, any TestClient) async throws -> Void) async throws {
        try await TestServer.start(sets: TestServer.coreSets + [imageActionSet], admins: ["root"], http: true).run { s in
            try await body(s, try await s.client(transport, "alice"), try await s.client(transport, "bob"), try await s.client(transport, "root"))
        }
    }

    @Test(arguments: Transport.allCases)
    func hugeFetchWindowsAreEmptyNotFatal(_ transport: Transport) async throws {
        try await withUsers(transport) { _, alice, _, _ in
            try await ok(alice, "table.addTable", ["table": "one", "vars": [["name": "x"]], "rows": [[1]]])
            for p: ValueDict in [["from": .int(.max)], ["maxRows": .int(.max)], ["from": .int(.max), "to": .int(.max), "maxRows": .int(.max)],
                                 ["from": 1, "to": .int(.max), "maxRows": .int(.max)]] {
                var params = p
                params["table"] = "one"
                let r = try await ok(alice, "table.fetch", params)
                #expect(r.results["Fetch"]?.tableValue?.rowCount == (p["from"] == .int(.max) ? 0 : 1), "\(p)")
            }
            try await ok(alice, "builtins.ping")
        }
    }

    @Test(arguments: Transport.allCases)
    func caslibsCannotCoverOtherUsersFilesOrTheServersOwn(_ transport: Transport) async throws {
        try await withUsers(transport) { s, alice, bob, root in
            try s.write("secret,1\n", to: "private.csv", user: "alice")
            for (path, session) in [("casuser/alice", true), (".", true), ("casuser", true), ("..", true), ("casuser/bob/../alice", true),
                                    ("casuser/bob", false), (s.dataRoot, true)] {
                try await fails(bob, "table.addCaslib", ["caslib": "spy", "path": .string(path), "session": .bool(session)], "table.addCaslib")
            }
            // an administrator may add global caslibs, but none over the data root or a user's folder
            for path in [".", "casuser", "casuser/alice", "/", "actionsets"] {
                try await fails(root, "table.addCaslib", ["caslib": "spy", "path": .string(path), "session": false], "Path")
            }
            try await fails(bob, "table.loadTable", ["caslib": "CASUSER(alice)", "path": "private.csv"], "does not exist")
            try await ok(alice, "table.loadTable", ["path": "private.csv"])
            // the server database cannot be reached through any caslib: it is not inside one
            try await fails(bob, "table.deleteSource", ["caslib": "Public", "source": "../server.sqlite"], "escapes caslib")
            #expect(FileManager.default.fileExists(atPath: s.dataRoot + "/server.sqlite"))
        }
    }

    @Test(arguments: Transport.allCases)
    func deleteSourceDeletesOneFileNeverAFolder(_ transport: Transport) async throws {
        try await withUsers(transport) { s, alice, bob, _ in
            try FileManager.default.createDirectory(atPath: s.dataRoot + "/public/sub", withIntermediateDirectories: true)
            try "a,b\n1,2\n".write(toFile: s.dataRoot + "/public/shared.csv", atomically: true, encoding: .utf8)
            try "a\n1\n".write(toFile: s.dataRoot + "/public/sub/x.csv", atomically: true, encoding: .utf8)
            try s.write("mine\n", to: "keep.csv", user: "alice")
            for source in [".", "", "..", "sub", "sub/", "./", "sub/.."] {
                try await fails(bob, "table.deleteSource", ["caslib": "Public", "source": .string(source)], "deleteSource")
            }
            for source in ["", ".", "/"] { try await fails(alice, "table.deleteSource", ["source": .string(source)], "table.deleteSource") }
            for f in ["public/shared.csv", "public/sub/x.csv", "casuser/alice/keep.csv"] {
                #expect(FileManager.default.fileExists(atPath: "\(s.dataRoot)/\(f)"), "\(f) survived")
            }
            try await ok(bob, "table.deleteSource", ["caslib": "Public", "source": "sub/x.csv"])
            #expect(!FileManager.default.fileExists(atPath: s.dataRoot + "/public/sub/x.csv"))
            #expect(FileManager.default.fileExists(atPath: s.dataRoot + "/public/sub"))
        }
    }

    @Test(arguments: Transport.allCases)
    func accessControlsDieWithTheirTable(_ transport: Transport) async throws {
        try await withUsers(transport) { _, alice, bob, _ in
            try await ok(bob, "table.addTable", ["table": "quarterly", "caslib": "Public", "promote": true, "vars": [["name": "x"]], "rows": [[1]]])
            try await ok(bob, "accessControl.updSomeAcsTable", ["acs": .list(["Select", "Update", "DropTable", "ManageAccess"].flatMap { p -> [Value] in
                [["caslib": "Public", "table": "quarterly", "identity": "bob", "permission": .string(p)],
                 ["caslib": "Public", "table": "quarterly", "identity": "*", "permission": .string(p)]]
            })])
            try await ok(bob, "table.dropTable", ["name": "quarterly", "caslib": "Public"])
            try await ok(alice, "table.addTable", ["table": "quarterly", "caslib": "Public", "promote": true, "vars": [["name": "secret"]], "rows": [[42]]])
            try await fails(bob, "table.fetch", ["table": ["name": "quarterly", "caslib": "Public"]], "does not exist")
            try await fails(bob, "table.addTable", ["table": "quarterly", "caslib": "Public", "promote": true, "replace": true, "vars": [["name": "x"]], "rows": [[0]]],
                            "does not have Update permission")
            try await fails(bob, "table.dropTable", ["name": "quarterly", "caslib": "Public"], "does not exist")
            let info = try await ok(bob, "table.tableInfo", ["caslib": "Public"])
            #expect(info.results["TableInfo"] == nil, "bob sees no table in Public")
            let f = try await ok(alice, "table.fetch", ["table": ["name": "quarterly", "caslib": "Public"]])
            #expect(f.results["Fetch"]?.tableValue?.column("secret")?.data == .double([42]))
        }
    }

    @Test(arguments: Transport.allCases)
    func accessControlsDieWithTheirCaslib(_ transport: Transport) async throws {
        try await withUsers(transport) { s, alice, bob, root in
            try FileManager.default.createDirectory(atPath: s.dataRoot + "/public/team", withIntermediateDirectories: true)
            try "x\n1\n".write(toFile: s.dataRoot + "/public/team/t.csv", atomically: true, encoding: .utf8)
            try await ok(root, "table.addCaslib", ["caslib": "team", "path": "public/team", "session": false, "activeOnAdd": false])
            try await fails(bob, "table.loadTable", ["caslib": "team", "path": "t.csv"], "does not have Select permission on caslib team")
            try await ok(root, "accessControl.updSomeAcsCaslib", ["acs": [["caslib": "team", "identity": "bob", "permission": "Select"]]])
            try await ok(bob, "table.loadTable", ["caslib": "team", "path": "t.csv", "casOut": ["name": "t", "caslib": "casuser"]])
            try await ok(root, "table.dropCaslib", ["caslib": "team"])
            try await ok(root, "table.addCaslib", ["caslib": "team", "path": "public/team", "session": false, "activeOnAdd": false])
            try await fails(bob, "table.loadTable", ["caslib": "team", "path": "t.csv"], "does not have Select permission on caslib team")
            try await fails(alice, "table.loadTable", ["caslib": "team", "path": "t.csv"], "does not have Select permission")
        }
    }

    @Test(arguments: Transport.allCases)
    func fileActionsNeedTheCaslibsPermissions(_ transport: Transport) async throws {
        try await withUsers(transport) { s, alice, bob, root in
            let team = s.dataRoot + "/public/team"
            try FileManager.default.createDirectory(atPath: team + "/img/cats", withIntermediateDirectories: true)
            try "x\n1\n".write(toFile: team + "/t.csv", atomically: true, encoding: .utf8)
            let png = try ImageCodec.encodePNG(try Image(width: 4, height: 4, format: .rgb, fill: 9))
            try Data(png).write(to: URL(fileURLWithPath: team + "/img/cats/a.png"))
            try await ok(root, "table.addCaslib", ["caslib": "team", "path": "public/team", "session": false, "activeOnAdd": false, "subDirectories": true])
            try await ok(root, "accessControl.updSomeAcsCaslib", ["acs": [["caslib": "team", "identity": "alice", "permission": "Read"],
                                                                          ["caslib": "team", "identity": "alice", "permission": "CreateTable"]]])
            for c in [alice, bob] { try await ok(c, "builtins.loadActionSet", ["actionSet": "image"]) }
            // alice may read and write there
            try await ok(alice, "image.loadImages", ["caslib": "team", "path": "img", "casOut": ["name": "imgs", "caslib": "casuser"]])
            try await ok(alice, "table.fileInfo", ["caslib": "team"])
            try await ok(alice, "image.saveImages", ["table": "imgs", "caslib": "team", "subDirectory": "out"])
            #expect(FileManager.default.fileExists(atPath: team + "/out/cats/1.png"))
            // bob may do none of it, and learns no file names
            let r1 = try await fails(bob, "image.loadImages", ["caslib": "team", "path": "img", "casOut": ["name": "x", "caslib": "casuser"]],
                                     "does not have Select permission on caslib team")
            #expect(!r1.errorText.contains("a.png") && r1.warnings.isEmpty)
            try await fails(bob, "table.fileInfo", ["caslib": "team"], "does not have ReadInfo permission on caslib team")
            try await fails(bob, "table.loadTable", ["caslib": "team", "path": "t.csv"], "does not have Select permission")
            try await ok(bob, "table.addTable", ["table": "mine", "replace": true, "vars": [["name": "_image_", "type": "varbinary"]], "rows": [[.blob(png)]]])
            try await fails(bob, "image.saveImages", ["table": "mine", "caslib": "team", "subDirectory": "out"], "does not have CreateTable permission on caslib team")
            try await fails(bob, "table.save", ["table": "mine", "caslib": "team"], "does not have CreateTable permission")
            try await fails(bob, "table.deleteSource", ["caslib": "team", "source": "t.csv"], "does not have DeleteSource permission")
            #expect(FileManager.default.fileExists(atPath: team + "/t.csv"))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: team + "/out/cats")) == ["1.png"], "bob wrote nothing")
        }
    }

    @Test(arguments: Transport.allCases)
    func theUnmodifiedCASSelectGrantLetsBobReadRows(_ transport: Transport) async throws {
        try await withUsers(transport) { _, alice, bob, _ in
            try await ok(alice, "table.addTable", ["table": "t", "caslib": "Public", "promote": true, "vars": [["name": "x"]], "rows": [[7]]])
            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "t", "identity": "bob", "identityType": "User",
                                                                           "permType": "Grant", "permission": "Select"]]])
            let f = try await ok(bob, "table.fetch", ["table": ["name": "t", "caslib": "Public"]])
            #expect(f.results["Fetch"]?.tableValue?.column("x")?.data == .double([7]))
            try await fails(bob, "table.dropTable", ["name": "t", "caslib": "Public"], "does not have DropTable permission")
        }
    }

    @Test(arguments: Transport.allCases)
    func tableInfoListsOnlyWhatTheCallerMaySee(_ transport: Transport) async throws {
        try await withUsers(transport) { _, alice, bob, _ in
            for t in ["open", "closed"] {
                try await ok(alice, "table.addTable", ["table": .string(t), "caslib": "Public", "promote": true, "vars": [["name": "x"]], "rows": [[1]]])
            }
            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "open", "identity": "bob", "permission": "ReadInfo"]]])
            let info = try await ok(bob, "table.tableInfo", ["caslib": "Public"])
            #expect(info.results["TableInfo"]?.tableValue?.column("Name")?.data == .varchar(["OPEN"]))
            #expect(try await ok(bob, "table.tableExists", ["name": "closed", "caslib": "Public"]).results["exists"] == 0)
            try await fails(bob, "accessControl.listAcsData", ["caslib": "Public", "table": "closed"], "does not exist")
            let mine = try await ok(alice, "table.tableInfo", ["caslib": "Public"])
            #expect(mine.results["TableInfo"]?.tableValue?.rowCount == 2)
            // ReadInfo shows the columns, not the rows: columnInfo yes; fetch and a where in columnInfo no
            let columns = try await ok(bob, "table.columnInfo", ["table": ["name": "open", "caslib": "Public"]])
            #expect(columns.results["ColumnInfo"]?.tableValue?.column("Column")?.data == .varchar(["x"]))
            try await fails(bob, "table.fetch", ["table": ["name": "open", "caslib": "Public"]], "Select")
            try await fails(bob, "table.columnInfo", ["table": ["name": "open", "caslib": "Public", "where": "x > 0"]], "Select")
            try await fails(bob, "table.columnInfo", ["table": ["name": "closed", "caslib": "Public"]], "does not exist")
        }
    }

    @Test(arguments: Transport.allCases)
    func namesAreChecked(_ transport: Transport) async throws {
        try await withUsers(transport) { _, alice, _, _ in
            for name in ["", "   ", "a\u{0}b", "a/b", "..\\x", String(repeating: "t", count: 100_000)] {
                let r = try await fails(alice, "table.addTable", ["table": .string(name), "vars": [["name": "x"]], "rows": [[1]]], "table name")
                #expect(r.errorText.count < 1_000, "long names are quoted shortly")
            }
            try await fails(alice, "table.addCaslib", ["caslib": "a b", "path": "casuser/alice"], "caslib name")
            // every parameter declared as a table or caslib name goes through the same validator
            try await fails(alice, "table.fetch", ["table": ["name": "a\u{0}b"]], "Parameter 'table.name'", "table name")
            try await fails(alice, "table.fetch", ["table": ["name": "t", "caslib": "../x"]], "caslib name")
            try await fails(alice, "table.dropTable", ["name": ""], "table name")
            try await fails(alice, "table.addTable", ["table": "ok", "vars": [["name": "bad\u{1}col"]], "rows": [[1]]], "column name")
            try await ok(alice, "table.addTable", ["table": "ok", "vars": [["name": "x"]], "rows": [[1]]])
            try await fails(alice, "table.alterTable", ["name": "ok", "rename": "a/b"], "table name")
            #expect(try await ok(alice, "table.tableExists", ["name": "ok"]).results["exists"] == 1, "a refused rename keeps the table")
        }
    }

    @Test(arguments: Transport.allCases)
    func filesOnDiskArePrivateAndErrorsShowNoServerPaths(_ transport: Transport) async throws {
        try await withUsers(transport) { s, alice, _, _ in
            try await ok(alice, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            try await ok(alice, "table.save", ["table": "t"])
            func mode(_ p: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? Int ?? -1 }
            #expect(try mode(s.dataRoot) == 0o700)
            #expect(try mode(s.dataRoot + "/server.sqlite") == 0o600)
            #expect(try mode(s.casuser("alice")) == 0o700)
            #expect(try mode(s.casuser("alice") + "/.caslite.sqlite") == 0o600)
            // a damaged table database: the error names the caslib, not the file's path on the server
            try Data("this is not a database, it is garbage".utf8).write(to: URL(fileURLWithPath: s.casuser("alice") + "/.caslite.sqlite"))
            for f in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: s.casuser("alice") + "/.caslite.sqlite" + f) }
            let r = try await fails(alice, "table.loadTable", ["path": "t"], "CASUSER(alice)")
            let r2 = try await fails(alice, "table.loadTable", ["path": "../../etc/passwd"], "escapes")
            for text in [r.errorText, r2.errorText] {
                #expect(!text.contains(s.dataRoot) && !text.contains("/tmp"), "\(text)")
            }
        }
    }

    @Test(arguments: Transport.allCases)
    func aSessionsMemoryBudgetRefusesWithAClearError(_ transport: Transport) async throws {
        try await TestServer.start(http: true, maxMemory: 64 << 20, maxSessionMemory: 1 << 20).run { s in try await budgetScenario(s, transport) }
    }

    func budgetScenario(_ s: TestServer, _ transport: Transport) async throws {
        let a = try await s.client(transport, "alice")
        let b = try await s.client(transport, "bob")
        let rows: Value = .list((0..<6_000).map { i in [.string(String(repeating: "x", count: 100) + "\(i)")] })
        try await ok(a, "table.addTable", ["table": "t1", "vars": [["name": "s", "type": "varchar"]], "rows": rows])
        let r = try await fails(a, "table.addTable", ["table": "t2", "vars": [["name": "s", "type": "varchar"]], "rows": rows], "--max-session-memory")
        #expect(r.errorText.contains("Table t2"))
        try await ok(a, "builtins.ping")
        #expect(try await ok(a, "table.tableExists", ["name": "t1"]).results["exists"] == 1, "what was stored stays")
        // another session has its own budget; dropping gives memory back
        try await ok(b, "table.addTable", ["table": "t2", "vars": [["name": "s", "type": "varchar"]], "rows": rows])
        try await ok(a, "table.dropTable", ["name": "t1"])
        try await ok(a, "table.addTable", ["table": "t2", "vars": [["name": "s", "type": "varchar"]], "rows": rows])
        let status = try await ok(a, "builtins.serverStatus")
        let memory = try #require(status.results["memory"]?.tableValue)
        #expect(memory.column("Scope")?.data == .varchar(["server", "session"]))
        let used = memory.ints("UsedBytes")
        #expect((used[1] ?? 0) > 600_000 && (used[1] ?? 0) <= 1 << 20)
        #expect((used[0] ?? 0) >= 2 * (used[1] ?? 0), "the server holds both sessions' tables")
        let ls = try await ok(a, "session.listSessions")
        #expect((ls.results["Session"]?.tableValue?.ints("MemoryBytes").first ?? 0) == used[1])
    }

    @Test(arguments: Transport.allCases)
    func userNamesThatNameFoldersAreRefusedAndQuotedShortly(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            for name in [".", "..", "...", "a/b", "-x", String(repeating: "u", count: 60_000)] {
                do {
                    _ = try await s.client(transport, name)
                    Issue.record("user \(name.prefix(10)) was accepted")
                } catch {
                    let text = "\(error)"
                    #expect(text.count < 1_000, "the refusal quotes at most 200 characters")
                    #expect(text.contains("not valid") || text.contains("nvalid user"), "\(text.prefix(300))")
                }
            }
            let folders = (try? FileManager.default.contentsOfDirectory(atPath: s.dataRoot + "/casuser")) ?? []
            #expect(folders.allSatisfy { !$0.hasPrefix(".") && !$0.contains("uuu") }, "no folder was made for a refused name: \(folders)")
        }
    }

    @Test func theCommandLineRefusesTheSameUserNames() async throws {
        try await withDataRoot { root in
            for name in ["..", ".", "a/b", ""] {
                let status = try ServerProcess.cli(["users", "add", name, "--data", root, "--password-stdin"], input: "pw-secret\n")
                #expect(status != 0, "\(name)")
            }
            let ok = try ServerProcess.cli(["users", "add", "alice", "--data", root, "--password-stdin"], input: "pw-secret\n")
            #expect(ok == 0)
            let serve = try ServerProcess.cli(["serve", "--data", root, "--admin", "..", "--port", "0"])
            #expect(serve != 0)
        }
    }
}
