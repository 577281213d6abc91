import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

/// Sharing with groups over a real server, both front ends: alice owns a promoted table; bob and carol
/// are analysts, carol and dave auditors; eve is in no group; root is the administrator.
@Suite("Groups: share with a team in one grant", .serialized)
struct GroupsTests {
    static let users = ["alice", "bob", "carol", "dave", "eve"]

    /// A server whose store knows the users (group members must be users), with the two groups.
    func withTeams(_ transport: Transport, dataRoot: String? = nil, keepData: Bool = false,
                   _ body: (TestServer, [String: any TestClient]) async throws -> Void) async throws {
        let stored = dataRoot.map { FileManager.default.fileExists(atPath: $0 + "/server.sqlite") } ?? false
        let s = try await TestServer.start(admins: ["root"], users: stored ? [] : Self.users.map { ($0, "pw-\($0)", false) }, http: true,
                                           dataRoot: dataRoot)
        try await s.run(keepData: keepData) { s in
            var c: [String: any TestClient] = [:]
            for u in Self.users + ["root"] { c[u] = try await s.client(transport, u) }
            if !stored {
                for (g, members) in [("analysts", ["bob", "carol"]), ("auditors", ["carol", "dave"])] {
                    try await ok(c["root"]!, "accessControl.addGroup", ["group": .string(g)])
                    for m in members { try await ok(c["root"]!, "accessControl.addGroupMember", ["group": .string(g), "user": .string(m)]) }
                }
                try await ok(c["alice"]!, "table.addTable", ["table": "sales", "caslib": "Public", "promote": true, "vars": [["name": "x"]], "rows": [[7]]])
            }
            try await body(s, c)
        }
    }

    func acs(_ identity: String, _ type: String = "Group", _ permType: String = "Grant", _ permission: String = "Select") -> ValueDict {
        ["acs": [["caslib": "Public", "table": "sales", "identity": .string(identity), "identityType": .string(type),
                  "permType": .string(permType), "permission": .string(permission)]]]
    }

    /// Who of `users` may read the table's rows.
    func readers(_ c: [String: any TestClient], _ users: [String] = users) async throws -> Set<String> {
        var out: Set<String> = []
        for u in users {
            let r = try await c[u]!.call("table.fetch", ["table": ["name": "sales", "caslib": "Public"]])
            if r.ok {
                out.insert(u)
            } else {
                // a member with a group's grant of Select may still see the table (ReadInfo) after an own deny of Select
                #expect(r.errorText.contains("does not exist") || r.errorText.contains("does not have Select permission"), "\(r.errorText)")
            }
        }
        return out
    }

    @Test(arguments: Transport.allCases)
    func aTableSharedWithAGroupReachesItsMembersDeniesWinAndStarIsEveryone(_ transport: Transport) async throws {
        try await withTeams(transport) { _, c in
            let alice = c["alice"]!
            #expect(try await readers(c) == ["alice"])
            let r = try await ok(alice, "accessControl.updSomeAcsTable", acs("analysts"))
            #expect(r.notes.contains { $0.contains("for group analysts") }, "\(r.notes)")
            #expect(try await readers(c) == ["alice", "bob", "carol"], "one grant reaches the whole team")
            try await ok(alice, "accessControl.updSomeAcsTable", acs("auditors", "Group", "Deny"))
            #expect(try await readers(c) == ["alice", "bob"], "carol is also an auditor: a group's deny wins over a group's grant")
            try await ok(alice, "accessControl.updSomeAcsTable", acs("carol", "User"))
            #expect(try await readers(c) == ["alice", "bob", "carol"], "carol's own grant wins over her group's deny")
            try await ok(alice, "accessControl.updSomeAcsTable", acs("carol", "User", "Deny"))
            try await ok(alice, "accessControl.updSomeAcsTable", acs("auditors", "Group", "Remove"))
            #expect(try await readers(c) == ["alice", "bob"], "a deny for one member: carol's own deny wins over the analysts' grant")
            try await ok(alice, "accessControl.updSomeAcsTable", acs("*"))
            #expect(try await readers(c) == ["alice", "bob", "dave", "eve"], "* is every authenticated user, except an own deny")
            let list = try #require(try await ok(c["bob"]!, "accessControl.listAcsData", ["caslib": "Public", "table": "sales"]).results["AcsData"]?.tableValue)
            let rows = zip(list.strings("Identity"), list.strings("IdentityType")).map { "\($0 ?? ""):\($1 ?? "")" }
            #expect(Set(rows) == ["*:Group", "analysts:Group", "carol:User"], "\(rows)")
            try await ok(alice, "accessControl.updSomeAcsTable", acs("*", "User", "Deny"))
            #expect(try await readers(c) == ["alice"], "* sent as User is the same group entry, now a deny, which wins over the analysts' grant")
        }
    }

    @Test(arguments: Transport.allCases)
    func membershipChangesApplyToOpenSessionsAtTheirNextCall(_ transport: Transport) async throws {
        try await withTeams(transport) { _, c in
            let (alice, root, eve) = (c["alice"]!, c["root"]!, c["eve"]!)
            try await ok(alice, "accessControl.updSomeAcsTable", acs("analysts"))
            #expect(try await readers(c, ["eve"]).isEmpty)
            try await ok(root, "accessControl.addGroupMember", ["group": "Analysts", "user": "eve"])
            #expect(try await readers(c, ["eve"]) == ["eve"], "eve's open session reads at its next call")
            #expect(try await groups(eve) == ["analysts"])
            let ls = try #require(try await ok(eve, "session.listSessions").results["Session"]?.tableValue)
            #expect(ls.strings("Groups") == ["analysts"])
            try await ok(root, "accessControl.removeGroupMember", ["group": "analysts", "user": "eve"])
            #expect(try await readers(c, ["eve"]).isEmpty, "and stops at the next call after the removal")
            #expect(try await groups(eve) == [])
            #expect(try await groups(c["carol"]!) == ["analysts", "auditors"])
            // a removed group's grants are deleted with it: the same name later starts with no rights
            try await ok(root, "accessControl.dropGroup", ["group": "analysts"])
            #expect(try await readers(c) == ["alice"])
            let list = try #require(try await ok(alice, "accessControl.listAcsData", ["caslib": "Public", "table": "sales"]).results["AcsData"]?.tableValue)
            #expect(list.rowCount == 0)
            try await ok(root, "accessControl.addGroup", ["group": "analysts"])
            try await ok(root, "accessControl.addGroupMember", ["group": "analysts", "user": "bob"])
            #expect(try await readers(c) == ["alice"])
            try await fails(alice, "accessControl.updSomeAcsTable", acs("gone"), "accessControl.updSomeAcsTable", "acs[1].identity", "no group 'gone'")
        }
    }

    func groups(_ c: any TestClient) async throws -> [String] {
        let info = try await ok(c, "builtins.userInfo").results["userInfo"]
        return info?["groups"].listValue?.compactMap(\.stringValue) ?? []
    }

    @Test(arguments: Transport.allCases)
    func groupsMembersAndGrantsSurviveARestart(_ transport: Transport) async throws {
        let root = try TestServer.freshRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await withTeams(transport, dataRoot: root, keepData: true) { _, c in
            try await ok(c["alice"]!, "accessControl.updSomeAcsTable", acs("analysts"))
            try await ok(c["alice"]!, "accessControl.updSomeAcsTable", acs("bob", "User", "Deny"))
        }
        try await withTeams(transport, dataRoot: root) { _, c in
            let (who, carols) = (try await readers(c), try await groups(c["carol"]!))
            #expect(who == ["alice", "carol"], "the group, its members, the grant and bob's own deny came back")
            #expect(carols == ["analysts", "auditors"])
        }
    }

    @Test(arguments: Transport.allCases)
    func onlyAdministratorsManageGroupsAndBadInputIsNamed(_ transport: Transport) async throws {
        try await withTeams(transport) { _, c in
            let (bob, root) = (c["bob"]!, c["root"]!)
            for (action, params) in [("addGroup", ["group": "mine"]), ("addGroupMember", ["group": "auditors", "user": "bob"]),
                                     ("removeGroupMember", ["group": "analysts", "user": "carol"]), ("dropGroup", ["group": "auditors"])] as [(String, ValueDict)] {
                try await fails(bob, "accessControl.\(action)", params, "accessControl.\(action)", "Only an administrator")
            }
            let bobs = try await groups(bob), carols = try await groups(c["carol"]!)
            #expect(bobs == ["analysts"], "bob did not join auditors")
            #expect(carols == ["analysts", "auditors"])
            // non-administrators see group names (to share with them), never members
            let mine = try #require(try await ok(bob, "accessControl.listGroups").results["Groups"]?.tableValue)
            #expect(mine.strings("Group") == ["analysts", "auditors"] && mine.column("Members") == nil)
            let all = try #require(try await ok(root, "accessControl.listGroups").results["Groups"]?.tableValue)
            #expect(all.strings("Members") == ["bob carol", "carol dave"])
            let ls = try #require(try await ok(bob, "session.listSessions").results["Session"]?.tableValue)
            #expect(Set(ls.strings("Userid")) == ["bob"], "listSessions shows bob only his own sessions and groups")
            for bad in ["", "../x", "*", "a b", String(repeating: "g", count: 65)] {
                try await fails(root, "accessControl.addGroup", ["group": .string(bad)], "accessControl.addGroup", "'group'", "group name")
            }
            try await fails(root, "accessControl.addGroup", ["group": "ANALYSTS"], "already exists")
            try await fails(root, "accessControl.addGroupMember", ["group": "nosuch", "user": "bob"], "accessControl.addGroupMember", "Group 'nosuch' does not exist")
            try await fails(root, "accessControl.addGroupMember", ["group": "analysts", "user": "mallory"], "User 'mallory' does not exist")
            try await fails(root, "accessControl.addGroupMember", ["group": "analysts", "user": "../x"], "'user'", "user name")
            try await fails(root, "accessControl.removeGroupMember", ["group": "analysts", "user": "eve"], "not a member")
            try await fails(root, "accessControl.dropGroup", ["group": "nosuch"], "accessControl.dropGroup", "no group 'nosuch'")
            try await fails(c["alice"]!, "accessControl.updSomeAcsTable", acs("../x"), "acs[1].identity", "group name")
            try await fails(c["alice"]!, "accessControl.updSomeAcsTable", acs("analysts", "Team"), "acs[1].identityType", "User")
        }
    }

    @Test(arguments: Transport.allCases)
    func aGroupNamedLikeAUserIsADifferentIdentity(_ transport: Transport) async throws {
        try await withTeams(transport) { _, c in
            try await ok(c["root"]!, "accessControl.addGroup", ["group": "bob"])
            try await ok(c["root"]!, "accessControl.addGroupMember", ["group": "bob", "user": "dave"])
            try await ok(c["alice"]!, "accessControl.updSomeAcsTable", acs("bob"))
            #expect(try await readers(c) == ["alice", "dave"], "the group bob is not the user bob")
            try await ok(c["root"]!, "accessControl.addGroup", ["group": "team"])
            let r = try await ok(c["alice"]!, "accessControl.updSomeAcsTable", acs("team", "User"))
            #expect(r.warnings.contains { $0.contains("there is no user team but there is a group team") }, "\(r.warnings)")
        }
    }

    @Test(arguments: Transport.allCases)
    func aCaslibGrantToAGroupReachesItsTablesUnlessTheTableSaysOtherwise(_ transport: Transport) async throws {
        try await withTeams(transport) { _, c in
            try await ok(c["root"]!, "accessControl.updSomeAcsCaslib",
                         ["acs": [["caslib": "Public", "identity": "auditors", "identityType": "Group", "permission": "Select"]]])
            #expect(try await readers(c) == ["alice", "carol", "dave"])
            try await ok(c["alice"]!, "accessControl.updSomeAcsTable", acs("auditors", "Group", "Deny"))
            #expect(try await readers(c) == ["alice"], "the table's entries decide before the caslib's")
            let list = try #require(try await ok(c["dave"]!, "accessControl.listAcsData", ["caslib": "Public"]).results["AcsData"]?.tableValue)
            let rows = (0..<list.rowCount).map { "\(list.strings("Table")[$0] ?? ""):\(list.strings("Identity")[$0] ?? ""):\(list.strings("PermType")[$0] ?? "")" }
            #expect(Set(rows).isSuperset(of: [":auditors:Grant", "sales:auditors:Deny"]), "\(rows)")
        }
    }

    @Test func groupsManagedWithTheCLIApplyToARunningServer() async throws {
        try await withDataRoot { root in
            for u in ["alice", "bob"] {
                #expect(try ServerProcess.cli(["users", "add", u, "--data", root, "--password-stdin"], input: "pw-\(u)-long\n") == 0)
            }
            try await ServerProcess(dataRoot: root).run { p in
                let (alice, bob) = (try await p.connect("alice"), try await p.connect("bob"))
                try await ok(alice, "table.addTable", ["table": "sales", "caslib": "Public", "promote": true, "vars": [["name": "x"]], "rows": [[7]]])
                try await fails(alice, "accessControl.updSomeAcsTable", acs("analysts"), "no group 'analysts'")
                #expect(try ServerProcess.cli(["groups", "add", "analysts", "--data", root]) == 0)
                #expect(try ServerProcess.cli(["groups", "add", "ANALYSTS", "--data", root]) != 0, "names are case-insensitive")
                for bad in ["../x", "*", "a b", ""] { #expect(try ServerProcess.cli(["groups", "add", bad, "--data", root]) != 0, "\(bad)") }
                try await ok(alice, "accessControl.updSomeAcsTable", acs("analysts"))
                let sales: ValueDict = ["table": ["name": "sales", "caslib": "Public"]]
                try await fails(bob, "table.fetch", sales, "does not exist")
                #expect(try ServerProcess.cli(["groups", "add-member", "analysts", "bob", "--data", root]) == 0)
                try await ok(bob, "table.fetch", sales)
                #expect(try ServerProcess.cli(["groups", "add-member", "analysts", "mallory", "--data", root]) != 0, "not a user")
                #expect(try ServerProcess.cli(["groups", "add-member", "nosuch", "bob", "--data", root]) != 0, "not a group")
                let list = try await ServerProcess.cliOutput(["groups", "list", "--data", root])
                #expect(list.status == 0 && list.output.contains("analysts: bob"), "\(list.output)")
                #expect(try ServerProcess.cli(["groups", "remove-member", "analysts", "bob", "--data", root]) == 0)
                try await fails(bob, "table.fetch", sales, "does not exist")
                #expect(try ServerProcess.cli(["groups", "add-member", "analysts", "bob", "--data", root]) == 0)
                #expect(try ServerProcess.cli(["users", "remove", "bob", "--data", root]) == 0)
                #expect(try ServerProcess.cli(["groups", "remove", "analysts", "--data", root]) == 0)
                let acl = try #require(try await ok(alice, "accessControl.listAcsData", ["caslib": "Public", "table": "sales"]).results["AcsData"]?.tableValue)
                #expect(acl.rowCount == 0, "the removed group's grant was deleted with it")
                await alice.close()
                await bob.close()
            }
        }
    }
}
