import CASWire
import Testing
@testable import CASCore

/// The compare-and-swap store (`ifModified`): a writer that read a table replaces it only if nobody replaced it in
/// between — in a session and in the global catalog (dlScore's INT8 calibration write-back relies on it).
@Suite("Store only over the table read")
struct StoreIfUnchangedTests {
    func table(_ rows: Int, modified: Double) -> CASTable {
        var t = CASTable(data: DataTable(name: "w", columns: [Column(name: "x", data: .double((0..<rows).map(Double.init)))]), caslib: "CASUSER", creator: "alice")
        t.modified = modified
        return t
    }

    @Test func aSessionKeepsATableReplacedSinceItWasRead() async throws {
        let s = Session(user: "alice", alwaysLoaded: [])
        try await s.put(table(1, modified: 100))
        let key = TableKey(caslib: "CASUSER", name: "w")
        // another call replaced it (modified 200) after ours read it at 100
        try await s.put(table(2, modified: 200))
        await #expect(throws: ActionError.self) { try await s.put(self.table(3, modified: 300), ifModified: 100) }
        #expect(await s.table(key)?.data.rowCount == 2)
        // read at 200: the write goes through
        try await s.put(table(3, modified: 300), ifModified: 200)
        #expect(await s.table(key)?.data.rowCount == 3)
        // a dropped table is not brought back
        await s.drop(key)
        await #expect(throws: ActionError.self) { try await s.put(self.table(4, modified: 400), ifModified: 300) }
        #expect(await s.table(key) == nil)
    }

    @Test func theGlobalCatalogKeepsATableReplacedSinceItWasRead() async throws {
        let g = GlobalCatalog(databasePath: nil)
        try await g.put(table(1, modified: 0), replace: false)
        let key = TableKey(caslib: "CASUSER", name: "w")
        let read = try #require(await g.table(key))
        try await g.put(table(2, modified: 0), replace: true)   // someone else's replace: a new modified time
        await #expect(throws: ActionError.self) { try await g.put(self.table(3, modified: 0), replace: true, ifModified: read.modified) }
        #expect(await g.table(key)?.data.rowCount == 2)
        let now = try #require(await g.table(key))
        try await g.put(table(3, modified: 0), replace: true, ifModified: now.modified)
        #expect(await g.table(key)?.data.rowCount == 3)
    }
}
