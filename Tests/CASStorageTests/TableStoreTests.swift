import CASStorage
import CASWire
import Foundation
import Testing

func tempPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-storage-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// Every column type with labels, formats, attributes, missing values and awkward values.
func sampleTable(rows: Int = 5, name: String = "Sample") -> DataTable {
    var rng = UInt64(12345)
    func next() -> UInt64 { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return rng >> 11 }
    let doubles: [Double] = (0..<rows).map { i in i % 5 == 1 ? .nan : [0.1, -1e308, 5e-324, .infinity, 3][i % 5] * Double(i + 1) }
    return DataTable(name: name, label: "Sample label", title: "T", attributes: ["Source": "test", "N": .int(Int64(rows))], columns: [
        Column(name: "d", label: "Double", format: "BEST12.", data: .double(doubles)),
        Column(name: "l", data: .int64((0..<rows).map { i in i % 4 == 2 ? nil : [Int64.max, Int64.min + 1, 0, 9_007_199_254_740_993][i % 4] })),
        Column(name: "i", format: "8.", data: .int32((0..<rows).map { i in i % 3 == 0 ? nil : Int32(truncatingIfNeeded: next()) })),
        Column(name: "s", label: "Text", attributes: ["k": "v"], data: .varchar((0..<rows).map { i in i % 4 == 3 ? nil : (i % 4 == 0 ? "" : "é \"q\" \u{0}x\(i)") })),
        Column(name: "img", attributes: ["MIMEType": "image/png"], data: .varbinary((0..<rows).map { i in
            i % 5 == 4 ? nil : (i % 5 == 0 ? [] : (0..<((i % 7) * 300 + 1)).map { _ in UInt8(truncatingIfNeeded: next()) })
        })),
    ])
}

@Suite("SQLite table store")
struct TableStoreTests {
    @Test(arguments: [0, 1, 5, 40])
    func everyColumnTypeRoundTripsExactly(rows: Int) throws {
        let db = try SQLiteDatabase(path: tempPath("t.sqlite"))
        let t = sampleTable(rows: rows)
        let meta = TableMeta(created: 1, modified: 2, creator: "alice", sourceName: "x.csv", sourceCaslib: "Public")
        try TableStore.save(t, caslib: "CASUSER(alice)", meta: meta, replace: false, in: db)
        let (back, m) = try #require(try TableStore.load(caslib: "casuser(alice)", name: "SAMPLE", from: db))
        #expect(back == t)
        #expect(m == meta)
        #expect(try TableStore.list(caslib: "CASUSER(alice)", in: db).map(\.rows) == [rows])
    }

    @Test func refusesToOverwriteUnlessReplace() throws {
        let db = try SQLiteDatabase(path: tempPath("t.sqlite"))
        let meta = TableMeta(created: 1, modified: 1, creator: "a")
        try TableStore.save(sampleTable(rows: 3), caslib: "L", meta: meta, replace: false, in: db)
        #expect(throws: StorageError.self) { try TableStore.save(sampleTable(rows: 4), caslib: "L", meta: meta, replace: false, in: db) }
        try TableStore.save(sampleTable(rows: 4), caslib: "L", meta: meta, replace: true, in: db)
        #expect(try TableStore.load(caslib: "L", name: "Sample", from: db)?.0.rowCount == 4)
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name LIKE 'caslite_data_%'") == 1, "the old data table is dropped")
    }

    @Test func anAbandonedSaveLeavesThePreviousVersion() throws {
        let db = try SQLiteDatabase(path: tempPath("t.sqlite"))
        let meta = TableMeta(created: 1, modified: 1, creator: "a")
        let v1 = sampleTable(rows: 10)
        try TableStore.save(v1, caslib: "L", meta: meta, replace: false, in: db)
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try TableStore.save(sampleTable(rows: 40_000), caslib: "L", meta: meta, replace: true, in: db) { _ in throw Stop() }
        }
        #expect(try TableStore.load(caslib: "L", name: "Sample", from: db)?.0 == v1)
    }

    @Test func deleteRemovesCatalogAndData() throws {
        let db = try SQLiteDatabase(path: tempPath("t.sqlite"))
        try TableStore.save(sampleTable(), caslib: "L", meta: TableMeta(created: 1, modified: 1, creator: "a"), replace: false, in: db)
        #expect(try TableStore.delete(caslib: "L", name: "sample", in: db))
        #expect(try !TableStore.delete(caslib: "L", name: "sample", in: db))
        #expect(try TableStore.load(caslib: "L", name: "sample", from: db) == nil)
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name LIKE 'caslite_data_%'") == 0)
    }

    @Test func corruptedFilesGiveAClearError() throws {
        let path = tempPath("bad.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        do {
            _ = try SQLiteDatabase(path: path)
            Issue.record("opening garbage should fail")
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.message.contains("damaged or is not a database"))
        }
    }

    @Test func truncatedDatabaseIsDetected() throws {
        let path = tempPath("t.sqlite")
        do {
            let db = try SQLiteDatabase(path: path)
            try TableStore.save(sampleTable(rows: 2000), caslib: "L", meta: TableMeta(created: 1, modified: 1, creator: "a"), replace: false, in: db)
            try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try h.truncate(atOffset: 4096 + 512)
        try h.close()
        try? FileManager.default.removeItem(atPath: path + "-wal")
        var failed = false
        do {
            let db = try SQLiteDatabase(path: path)
            _ = try TableStore.load(caslib: "L", name: "Sample", from: db)
        } catch let e as StorageError {
            failed = true
            #expect(e.kind == .corrupt || e.kind == .io)
            #expect(e.message.contains(path))
        }
        #expect(failed)
    }
}

@Suite("Users and passwords")
struct UserStoreTests {
    @Test func passwordsAreSaltedHashesVerifiedExactly() throws {
        let h1 = try Passwords.hash("s3cret")
        let h2 = try Passwords.hash("s3cret")
        #expect(h1.hasPrefix("$argon2id$"))
        #expect(h1 != h2, "salted")
        #expect(Passwords.verify("s3cret", against: h1))
        #expect(!Passwords.verify("s3cret ", against: h1))
        #expect(!Passwords.verify("", against: h1))
        #expect(!Passwords.verify("s3cret", against: "garbage"))
    }

    @Test func serverStoreManagesUsersAndACLs() async throws {
        let store = try ServerStore(path: tempPath("server.sqlite"))
        try await store.addUser("alice", password: "pw-a", admin: false, now: 1)
        try await store.addUser("root", password: "pw-r", admin: true, now: 1)
        await #expect(throws: StorageError.self) { try await store.addUser("alice", password: "x", admin: false, now: 1) }
        // a name differing only in case would share the caslib CASUSER(alice)
        let clash = await #expect(throws: StorageError.self) { try await store.addUser("ALICE", password: "x", admin: false, now: 1) }
        #expect(clash?.message.contains("may not differ only in case") == true, "\(String(describing: clash))")
        #expect(try await store.verify("ALICE", password: "pw-a") == nil)
        #expect(try await store.verify("alice", password: "pw-a")?.name == "alice")
        #expect(try await store.verify("alice", password: "pw-r") == nil)
        #expect(try await store.verify("nobody", password: "pw-a") == nil)
        #expect(try await store.users().map(\.isAdmin) == [false, true])
        try await store.setPassword("alice", password: "new")
        #expect(try await store.verify("alice", password: "new") != nil)
        try await store.removeUser("alice")
        #expect(try await store.verify("alice", password: "new") == nil)

    }

    @Test func accessControlsAreBoundToTheObjectNotItsName() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-acl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try ServerStore(path: dir + "/server.sqlite")
        let first = try await store.newObjectId(caslib: "Public", table: "T")
        try await store.setACL(ACLEntry(objectId: first, caslib: "Public", table: "T", identity: "bob", permission: "Select", grant: true))
        try await store.setACL(ACLEntry(objectId: first, caslib: "Public", table: "T", identity: "bob", permission: "Select", grant: false))
        #expect(try await store.acls(objectIds: [first]).map(\.grant) == [false], "the same object, identity and permission: replaced")
        // the table is dropped and another one created under the same name: it starts without entries
        try await store.forgetTable(caslib: "public", table: "t")
        #expect(try await store.acls(objectIds: [first]).isEmpty)
        let second = try await store.newObjectId(caslib: "Public", table: "T")
        #expect(second != first)
        try await store.setACL(ACLEntry(objectId: second, caslib: "Public", table: "T", identity: "bob", permission: "Select", grant: true))
        let third = try await store.newObjectId(caslib: "Public", table: "T")  // e.g. after a crash between drop and forget
        #expect(try await store.acls(objectIds: [second, third]).isEmpty, "a new object never inherits entries left under its name")
        // a dropped caslib takes its tables' identities and entries with it
        try await store.addCaslib(CaslibRecord(name: "lib1", path: dir, description: "", owner: "alice"))
        let lib = try #require(try await store.objectId(caslib: "LIB1"))
        let t = try await store.newObjectId(caslib: "lib1", table: "x")
        for id in [lib, t] { try await store.setACL(ACLEntry(objectId: id, caslib: "lib1", table: "", identity: "*", permission: "ReadInfo", grant: true)) }
        try await store.dropCaslib("lib1")
        #expect(try await store.acls(objectIds: [lib, t]).isEmpty)
        try await store.addCaslib(CaslibRecord(name: "lib1", path: dir, description: "", owner: "mallory"))
        #expect(try await store.objectId(caslib: "lib1") != lib)
        #expect(FileManager.default.isReadableFile(atPath: dir + "/server.sqlite"))
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/server.sqlite")[.posixPermissions] as? Int
        #expect(mode == 0o600, "the server database holds password hashes: private to the server account")
    }
}
