@testable import CASCore
import CASStorage
import CASWire
import Foundation
import Testing

/// The one decision (`AccessControl.allowed`) over a real server database.
@Suite("Access control decisions")
struct AccessControlTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-acl-\(UUID().uuidString)").path

    func store() throws -> ServerStore {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try ServerStore(path: dir + "/server.sqlite")
    }

    func table(_ name: String, owner: String, id: String) -> CASTable {
        var t = CASTable(data: DataTable(name: name, columns: []), caslib: "lib1", creator: owner)
        t.objectId = id
        return t
    }

    @Test func theOwnerOfAGlobalCaslibMayPromoteIntoItAndReadItsTables() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try store()
        try await store.addCaslib(CaslibRecord(name: "lib1", path: dir, description: "", owner: "carol"))
        let lib = Caslib(name: "lib1", path: dir, description: "", scope: .global, owner: "carol", id: try #require(try await store.objectId(caslib: "lib1")))
        let ac = AccessControl(store: store)
        #expect(try await ac.allowed(.promote, user: "carol", isAdmin: false, on: .caslib(lib)))
        #expect(try await ac.allowed(.select, user: "carol", isAdmin: false, on: .table(lib, table("t", owner: "dave", id: "x"))))
        #expect(try await !ac.allowed(.promote, user: "dave", isAdmin: false, on: .caslib(lib)), "other users get nothing by default")
        #expect(try await ac.allowed(.dropTable, user: "dave", isAdmin: false, on: .table(lib, table("t", owner: "dave", id: "x"))), "nor lose their own tables")
    }

    @Test func levelsDenyBeatsGrantAndSelectImpliesReadInfo() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try store()
        let pub = Caslib(name: "Public", path: dir, description: "", scope: .global, owner: "", id: try await store.ensureObjectId(caslib: "Public"))
        let tid = try await store.newObjectId(caslib: "Public", table: "t")
        let t = table("t", owner: "alice", id: tid)
        let ac = AccessControl(store: store)
        func may(_ p: Permission, _ user: String = "bob", on o: Securable? = nil) async throws -> Bool {
            try await ac.allowed(p, user: user, isAdmin: false, on: o ?? .table(pub, t))
        }
        // Public's defaults: the caslib's files for everyone, nobody else's tables
        #expect(try await may(.select, on: .caslib(pub)))
        #expect(try await may(.deleteSource, on: .caslib(pub)))
        #expect(try await !may(.manageAccess, on: .caslib(pub)))
        #expect(try await !may(.readInfo))
        func set(_ p: String, _ grant: Bool, who: String = "bob", table: Bool = true) async throws {
            try await store.setACL(ACLEntry(objectId: table ? tid : pub.id, caslib: "Public", table: table ? "t" : "", identity: who, permission: p, grant: grant))
        }
        try await set("Select", true)
        #expect(try await may(.select))
        #expect(try await may(.readInfo), "whoever may read rows may see the table")
        #expect(try await !may(.update))
        try await set("Select", false, who: "*", table: false)
        #expect(try await may(.select), "a table-level grant beats a caslib-level deny")
        try await set("Select", false)
        #expect(try await !may(.select), "a deny beats a grant at the same level")
        try await set("Update", true, who: "*", table: false)
        #expect(try await may(.update, "eve"), "caslib-level entries reach the caslib's tables")
        #expect(try await ac.allowed(.dropTable, user: "root", isAdmin: true, on: .table(pub, t)))
    }

    @Test func entriesFromBeforeCASPermissionsAreConverted() async throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/server.sqlite"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let db = try SQLiteDatabase(path: path)
            try db.exec("""
                CREATE TABLE acls(caslib TEXT, table_name TEXT, identity TEXT, permission TEXT, grant_ INTEGER);
                INSERT INTO acls VALUES ('Public', 't', 'bob', 'read', 1), ('Public', '', '*', 'drop', 0), ('Public', 'gone', 'bob', 'write', 1);
                """)
        }
        let store = try ServerStore(path: path)
        let pub = try await store.ensureObjectId(caslib: "Public")
        let tid = try await store.ensureObjectId(caslib: "Public", table: "t")
        let kept = try await store.migrateLegacyACLs { (Permission.named($0) ?? []).map(\.rawValue) }
        #expect(kept == 4, "read → ReadInfo + Select on t; drop → DropTable + DeleteSource on Public; the entry of a missing table is dropped")
        let entries = try await store.acls(objectIds: [pub, tid]).map { "\($0.table):\($0.identity):\($0.permission):\($0.grant)" }
        #expect(Set(entries) == [":*:DropTable:false", ":*:DeleteSource:false", "t:bob:ReadInfo:true", "t:bob:Select:true"])
        #expect(try await store.migrateLegacyACLs { _ in [] } == 0, "done once")
    }
}
