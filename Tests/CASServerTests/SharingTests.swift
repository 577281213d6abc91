import CASClient
import CASTestSupport
import CASServer
import CASStorage
import CASWire
import Foundation
import Testing

@Suite("Sharing and access control", .serialized)
struct SharingTests {
    @Test(arguments: Transport.allCases)
    func globalTablesNeedGrantsAndOwnersControlThem(_ transport: Transport) async throws {
        try await TestServer.start(admins: ["root"], http: true).run { s in
            let alice = try await s.client(transport, "alice")
            let bob = try await s.client(transport, "bob")
            let root = try await s.client(transport, "root")
            try await ok(alice, "table.addTable", ["table": "shared", "caslib": "Public", "promote": true, "vars": allTypesVars, "rows": allTypesRows])
            // without ReadInfo, another user's global table is invisible: as if it did not exist
            #expect(try await ok(bob, "table.tableExists", ["name": "shared", "caslib": "public"]).results["exists"] == 0)
            try await fails(bob, "table.fetch", ["table": ["name": "shared", "caslib": "Public"]], "does not exist")
            try await fails(bob, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "shared", "identity": "bob", "permission": "Read"]]],
                            "There is no global table")
            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "shared", "identity": "bob", "permission": "ReadInfo"]]])
            #expect(try await ok(bob, "table.tableExists", ["name": "shared", "caslib": "public"]).results["exists"] == 2)
            try await fails(bob, "table.fetch", ["table": ["name": "shared", "caslib": "Public"]], "does not have Select permission")
            try await fails(bob, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "shared", "identity": "bob", "permission": "Read"]]],
                            "does not have ManageAccess permission")
            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "shared", "identity": "bob", "permission": "Read"]]])
            let f = try await ok(bob, "table.fetch", ["table": ["name": "shared", "caslib": "Public"]])
            #expect(f.results["Fetch"]?.tableValue?.rowCount == 3)
            try await fails(bob, "table.dropTable", ["name": "shared", "caslib": "Public"], "does not have DropTable permission")
            try await fails(bob, "table.addTable", ["table": "shared", "caslib": "Public", "promote": true, "replace": true, "vars": [["name": "x"]], "rows": [[1]]],
                            "does not have Update permission")
            let acl = try await ok(alice, "accessControl.listAcsData", ["caslib": "Public", "table": "shared"])
            // the alias Read stands for CAS's ReadInfo and Select
            #expect(acl.results["AcsData"]?.tableValue?.column("Permission")?.data == .varchar(["ReadInfo", "Select"]))
            #expect(acl.results["AcsData"]?.tableValue?.column("Identity")?.data == .varchar(["bob", "bob"]))
            // A deny beats a grant at caslib level; removing the table-level grant takes access away again.
            try await ok(root, "accessControl.updSomeAcsCaslib", ["acs": [["caslib": "Public", "identity": "*", "permission": "Read"]]])
            try await ok(alice, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "shared", "identity": "bob", "permission": "Read", "permType": "Deny"]]])
            try await fails(bob, "table.fetch", ["table": ["name": "shared", "caslib": "Public"]], "does not exist")
            let eve = try await s.client(transport, "eve")
            try await ok(eve, "table.fetch", ["table": ["name": "shared", "caslib": "Public"]])
            // The administrator can drop it.
            try await ok(root, "table.dropTable", ["name": "shared", "caslib": "Public"])
            #expect(try await ok(alice, "table.tableExists", ["name": "shared", "caslib": "public"]).results["exists"] == 0)
        }
    }

    @Test(arguments: Transport.allCases)
    func promoteRefusesToReplaceAndSessionTablesStayPrivate(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let a = try await s.client(transport, "alice")
            try await ok(a, "table.addTable", ["table": "t", "caslib": "Public", "vars": allTypesVars, "rows": allTypesRows])
            try await ok(a, "table.promote", ["name": "t", "caslib": "Public"])
            try await fails(a, "table.addTable", ["table": "t", "caslib": "Public", "vars": allTypesVars, "rows": allTypesRows], "already exists")
            try await ok(a, "table.addTable", ["table": "t2", "caslib": "Public", "vars": allTypesVars, "rows": allTypesRows])
            try await fails(a, "table.promote", ["name": "t2", "caslib": "Public", "target": "t"], "drop it first")
            #expect(try await ok(a, "table.tableExists", ["name": "t2", "caslib": "Public"]).results["exists"] == 1, "a refused promote keeps the session table")
            try await fails(a, "table.promote", ["name": "t", "caslib": "casuser"], "no session-scope table")
        }
    }

    @Test(arguments: Transport.allCases)
    func twentyReadersSeeWholeVersionsWhileTheOwnerReplaces(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let owner = try await s.client(transport, "alice")
            @Sendable func version(_ v: Int) -> ValueDict {
                let n = 200 + v * 37
                let rows: [Value] = (0..<n).map { i in [.int(Int64(v)), .int(Int64(i)), .int(Int64(n))] }
                return ["table": "live", "caslib": "Public", "promote": true, "replace": true,
                        "vars": [["name": "version", "type": "int64"], ["name": "row", "type": "int64"], ["name": "n", "type": "int64"]], "rows": .list(rows)]
            }
            try await ok(owner, "table.addTable", version(0))
            try await ok(owner, "accessControl.updSomeAcsTable", ["acs": [["caslib": "Public", "table": "live", "identity": "*", "permission": "Read"]]])
            let readers = try await (0..<20).asyncMap { i in try await s.client(transport, "reader\(i)") }
            // Each task returns (torn reads, reads); the writer returns (0, 0).
            let counts = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                group.addTask {
                    for v in 1...8 { try await ok(owner, "table.addTable", version(v)) }
                    return (0, 0)
                }
                for r in readers {
                    group.addTask {
                        var torn = 0, reads = 0
                        for _ in 0..<15 {
                            let f = try await r.call("table.fetch", ["table": ["name": "live", "caslib": "Public"], "to": 100_000, "maxRows": 100_000])
                            reads += 1
                            guard let t = f.results["Fetch"]?.tableValue, case .int64(let vs)? = t.column("version")?.data,
                                  case .int64(let ns)? = t.column("n")?.data else { torn += 1; continue }
                            if Set(vs).count != 1 || Int64(t.rowCount) != ns[0] { torn += 1 }
                        }
                        return (torn, reads)
                    }
                }
                return try await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
            }
            #expect(counts.0 == 0)
            #expect(counts.1 == 300)
        }
    }

    @Test(arguments: Transport.allCases)
    func passwordsAreCheckedWhenTheServerRequiresThem(_ transport: Transport) async throws {
        let users = [("alice", "correct horse", false), ("boss", "boss-pass", true)]
        try await TestServer.start(auth: .password, users: users, http: true).run { s in
            let good = try await s.client(transport, "alice", password: "correct horse")
            try await ok(good, "builtins.ping")
            for (user, pw) in [("alice", "wrong"), ("alice", ""), ("nobody", "correct horse")] {
                let t0 = Date()
                do {
                    _ = try await s.client(transport, user, password: pw)
                    Issue.record("\(user)/\(pw) should be refused")
                } catch {
                    #expect("\(error)".contains("Authentication failed for user '\(user)'"), "\(error)")
                    #expect(Date().timeIntervalSince(t0) >= 0.3, "refusals are delayed")
                }
            }
            let boss = try await s.client(transport, "boss", password: "boss-pass")
            let ls = try await ok(boss, "session.listSessions")
            #expect(Set(ls.results["Session"]?.tableValue?.column("Userid")?.data.strings ?? []) == ["alice", "boss"], "stored admins see every session")
        }
    }

    @Test(arguments: Transport.allCases)
    func caslibsAddDropAndRefuseEscapes(_ transport: Transport) async throws {
        try await TestServer.start(admins: ["root"], http: true).run { s in
            let a = try await s.client(transport, "alice")
            try FileManager.default.createDirectory(atPath: s.dataRoot + "/casuser/alice/projects/p1", withIntermediateDirectories: true)
            try await fails(a, "table.addCaslib", ["caslib": "p1", "path": "projects/p1"], "outside your personal folder")
            try await ok(a, "table.addCaslib", ["caslib": "p1", "path": "casuser/alice/projects/p1", "description": "Project one"])
            #expect(try await ok(a, "sessionProp.getSessOpt", ["name": "caslib"]).results["caslib"] == "p1")
            let info = try await ok(a, "table.caslibInfo")
            #expect(info.results["CASLibInfo"]?.tableValue?.column("Name")?.data.strings.contains("p1") == true)
            try await fails(a, "table.addCaslib", ["caslib": "etc", "path": "/etc"], "outside your personal folder")
            try await fails(a, "table.addCaslib", ["caslib": "up", "path": "../.."], "outside your personal folder")
            try FileManager.default.createSymbolicLink(atPath: s.dataRoot + "/casuser/alice/sneaky", withDestinationPath: "/etc")
            try await fails(a, "table.addCaslib", ["caslib": "sneaky", "path": "casuser/alice/sneaky"], "outside your personal folder")
            let root = try await s.client(transport, "root")
            try await ok(root, "table.addCaslib", ["caslib": "etc", "path": "/etc", "session": false, "activeOnAdd": false])
            // Symlinks inside a caslib that point outside are refused for loads.
            try FileManager.default.createSymbolicLink(atPath: s.dataRoot + "/casuser/alice/projects/p1/passwd.csv", withDestinationPath: "/etc/passwd")
            try await fails(a, "table.loadTable", ["path": "passwd.csv"], "escapes caslib")
            try await fails(a, "table.loadTable", ["path": "../p1/../../server.sqlite"], "escapes caslib")
            #expect(try await ok(a, "table.queryCaslib", ["caslib": "p1"]).results["p1"] == true)
            try await ok(a, "table.dropCaslib", ["caslib": "p1"])
            #expect(try await ok(a, "table.queryCaslib", ["caslib": "p1"]).results["p1"] == false)
            #expect(try await ok(a, "sessionProp.getSessOpt", ["name": "caslib"]).results["caslib"] == "CASUSER(alice)")
            try await fails(a, "table.dropCaslib", ["caslib": "Public"], "cannot be dropped")
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}
