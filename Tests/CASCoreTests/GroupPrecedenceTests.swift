@testable import CASCore
@testable import CASStorage
import CASWire
import Foundation
import Testing

/// The precedence of user, group and `*` entries (docs/security.md, "Users, groups and *"), one test
/// per row of the documented table, over a real server database.
///
/// bob is a member of `analysts` and `auditors`; `outsiders` exists without him. Each case stores its
/// entries on Public (caslib level, `lib:`) or on alice's promoted table `t` (`t:`), then asks whether
/// bob may `Select` (or the case's permission) on `t`.
@Suite("Access control: users, groups and *")
struct GroupPrecedenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let row: Int
        let entries: [String]  // "t|lib : User|Group : identity : Permission : +|-"
        let permission: Permission
        let allowed: Bool
        let why: String
        init(_ row: Int, _ entries: [String], _ permission: Permission, _ allowed: Bool, _ why: String) {
            (self.row, self.entries, self.permission, self.allowed, self.why) = (row, entries, permission, allowed, why)
        }
        init(_ row: Int, _ entries: [String], _ allowed: Bool, _ why: String) { self.init(row, entries, .select, allowed, why) }
        var testDescription: String { "row \(row): \(why)" }
    }

    static let cases: [Case] = [
        Case(1, [], false, "no entry: nothing on another user's table"),
        Case(2, ["t:Group:analysts:Select:+"], true, "a grant to one of bob's groups"),
        Case(3, ["t:Group:outsiders:Select:+"], false, "a grant to a group bob is not in"),
        Case(4, ["t:Group:analysts:Select:+", "t:Group:auditors:Select:-"], false, "a deny from any of bob's groups wins over a group's grant"),
        Case(5, ["t:Group:analysts:Select:-", "t:User:bob:Select:+"], true, "bob's own grant wins over his group's deny"),
        Case(6, ["t:Group:analysts:Select:+", "t:User:bob:Select:-"], false, "bob's own deny wins over his group's grant"),
        Case(7, ["t:Group:*:Select:+"], true, "* is every authenticated user"),
        Case(8, ["t:Group:*:Select:+", "t:Group:auditors:Select:-"], false, "* is a group entry: a group's deny wins over it"),
        Case(9, ["t:Group:*:Select:-", "t:Group:analysts:Select:+"], false, "a deny to * wins over a group's grant"),
        Case(10, ["t:Group:*:Select:-", "t:User:bob:Select:+"], true, "bob's own grant wins over a deny to *"),
        Case(11, ["lib:Group:analysts:Select:+"], true, "a caslib-level group grant reaches the caslib's tables"),
        Case(12, ["lib:Group:analysts:Select:-", "t:Group:analysts:Select:+"], true, "the table's entries decide before the caslib's"),
        Case(13, ["lib:User:bob:Select:+", "t:Group:auditors:Select:-"], false, "a table-level group deny wins over bob's caslib-level grant"),
        Case(14, ["t:User:analysts:Select:+"], false, "a user entry named like a group is for that user, not the group"),
        Case(15, ["t:Group:analysts:Select:+"], .readInfo, true, "a group's Select grant implies ReadInfo"),
        Case(16, ["t:Group:analysts:Select:+"], .update, false, "a grant gives only what it names"),
    ]

    @Test(arguments: cases)
    func precedence(_ c: Case) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-groups-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try ServerStore(path: dir + "/server.sqlite")
        for u in ["alice", "bob"] { try await store.insertUser(u, hash: "-", admin: false, now: 0) }
        for g in ["analysts", "auditors", "outsiders"] { try await store.addGroup(g, now: 0) }
        try await store.addMember("bob", to: "analysts")
        try await store.addMember("bob", to: "auditors")
        let pub = Caslib(name: "Public", path: dir, description: "", scope: .global, owner: "", id: try await store.ensureObjectId(caslib: "Public"))
        var t = CASTable(data: DataTable(name: "t", columns: []), caslib: "Public", creator: "alice")
        t.objectId = try await store.newObjectId(caslib: "Public", table: "t")
        for e in c.entries {
            let f = e.split(separator: ":").map(String.init)
            let onTable = f[0] == "t"
            try await store.setACL(ACLEntry(objectId: onTable ? t.objectId : pub.id, caslib: "Public", table: onTable ? "t" : "",
                                            identity: f[2], identityType: f[1], permission: f[3], grant: f[4] == "+"))
        }
        let may = try await AccessControl(store: store).allowed(c.permission, user: "bob", isAdmin: false, on: .table(pub, t))
        #expect(may == c.allowed, "row \(c.row): \(c.why)")
    }

    @Test func removingAGroupOrAUserDeletesTheirEntriesAndMemberships() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-groups-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try ServerStore(path: dir + "/server.sqlite")
        try await store.insertUser("bob", hash: "-", admin: false, now: 0)
        try await store.addGroup("Analysts", now: 0)
        await #expect(throws: StorageError.self, "names are case-insensitive") { try await store.addGroup("analysts", now: 0) }
        let joined = try await store.addMember("bob", to: "ANALYSTS")
        #expect(joined.group == "Analysts" && joined.added, "members join the group's own spelling")
        let again = try await store.addMember("bob", to: "analysts")
        #expect(!again.added, "a member added again is told so, nothing changes")
        await #expect(throws: StorageError.self) { try await store.addMember("nobody", to: "analysts") }
        await #expect(throws: StorageError.self) { try await store.addMember("bob", to: "nosuch") }
        let id = try await store.ensureObjectId(caslib: "Public")
        try await store.setACL(ACLEntry(objectId: id, caslib: "Public", table: "", identity: "Analysts", identityType: "Group", permission: "Select", grant: true))
        try await store.setACL(ACLEntry(objectId: id, caslib: "Public", table: "", identity: "bob", identityType: "User", permission: "Select", grant: true))
        try await store.removeGroup("analysts")
        #expect(try await store.acls(objectIds: [id]).map(\.identityType) == ["User"], "the group's grants died with it")
        try await store.addGroup("analysts", now: 0)
        #expect(try await store.groups(of: "bob") == [], "a group re-created under the name starts empty")
        try await store.addMember("bob", to: "analysts")
        try await store.removeUser("bob")
        try await store.insertUser("bob", hash: "-", admin: false, now: 0)
        #expect(try await store.groups(of: "bob") == [], "a user re-created under the name inherits no membership")
        #expect(try await store.acls(objectIds: [id]).isEmpty, "nor the old user's entries")
    }

    @Test func entriesForStarStoredAsUserBecomeGroupEntries() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-groups-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let id: String
        do {
            let store = try ServerStore(path: dir + "/server.sqlite")
            id = try await store.ensureObjectId(caslib: "Public")
        }
        do {  // as versions before groups stored it
            let db = try SQLiteDatabase(path: dir + "/server.sqlite")
            try db.exec("INSERT INTO acl_entries VALUES ('\(id)', 'Public', '', '*', 'User', 'Select', 1)")
        }
        let reopened = try ServerStore(path: dir + "/server.sqlite")
        #expect(try await reopened.acls(objectIds: [id]).map { "\($0.identity):\($0.identityType)" } == ["*:Group"])
    }
}
