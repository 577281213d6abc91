import CASStorage
import CASWire
import CheckedSize
import Foundation
import Mutation
import Testing

/// Caslib files (`.caslite.sqlite`) that were crafted or damaged: clear `.corrupt` errors, no traps,
/// no allocation the file does not back.
@Suite("Table store: crafted caslib files")
struct TableStoreHostileTests {
    /// A database holding one saved table `Sample` (5 rows) in caslib `L`.
    static func saved() throws -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: tempPath("t.caslite.sqlite"))
        try TableStore.save(sampleTable(rows: 5), caslib: "L", meta: TableMeta(created: 1, modified: 1, creator: "a"), replace: false, in: db)
        return db
    }

    static func loadError(_ db: SQLiteDatabase) -> StorageError? {
        #expect(throws: StorageError.self) { try TableStore.load(caslib: "L", name: "Sample", from: db) }
    }

    @Test("the catalog's row count, data table name and column types are checked", arguments: [
        "UPDATE caslite_tables SET row_count = 4611686018427387904",
        "UPDATE caslite_tables SET row_count = -1",
        "UPDATE caslite_tables SET row_count = 7",
        "UPDATE caslite_tables SET data_table = 'caslite_tables'",
        "UPDATE caslite_tables SET data_table = 'caslite_data_1 WHERE 0 UNION SELECT 1,2,3,4,5'",
        "UPDATE caslite_tables SET data_table = 'caslite_data_999'",
        "UPDATE caslite_columns SET type = 'nonsense' WHERE position = 0",
        "INSERT INTO caslite_columns VALUES ('L', 'Sample', 5, 'extra', '', '', 'double', '{}')",
    ])
    func craftedCatalog(_ sql: String) throws {
        let db = try Self.saved()
        try db.exec(sql)
        let e = Self.loadError(db)
        #expect(e?.kind == .corrupt, "\(String(describing: e))")
    }

    @Test("cells of the wrong type, missing data tables and dropped rows are refused")
    func craftedData() throws {
        for sql in ["UPDATE caslite_data_1 SET c0 = 'text' WHERE rowid = 1", "UPDATE caslite_data_1 SET c3 = x'00ff' WHERE rowid = 1",
                    "UPDATE caslite_data_1 SET c1 = 2.5 WHERE rowid = 1", "DROP TABLE caslite_data_1", "DELETE FROM caslite_data_1 WHERE rowid = 2"] {
            let db = try Self.saved()
            try db.exec(sql)
            let e = Self.loadError(db)
            #expect(e?.kind == .corrupt, "\(sql): \(String(describing: e))")
        }
    }

    @Test func aFileThatIsNotSQLite() throws {
        let path = tempPath("x.caslite.sqlite")
        try Data("this is not a database, just text that is long enough to look like a header".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StorageError.self) { try SQLiteDatabase(path: path, create: false) }
    }
}

@Suite("Fuzz: SQLite caslib files")
struct TableStoreFuzzTests {
    @Test func caslibFiles() throws {
        let path = tempPath("seed.caslite.sqlite")
        do {
            let db = try SQLiteDatabase(path: path)
            try TableStore.save(sampleTable(rows: 40), caslib: "L", meta: TableMeta(created: 1, modified: 1, creator: "a"), replace: false, in: db)
            try TableStore.save(sampleTable(rows: 3, name: "Small"), caslib: "L", meta: TableMeta(created: 1, modified: 1, creator: "a"), replace: false, in: db)
        }
        let seed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var m = Mutator(seed: 7), tally = FuzzTally("sqlite")
        let dir = tempPath("fuzz")
        for i in 0..<fuzzIterations(default: 1500) {
            let bytes = m.mutate(seed, fields: [16, 18, 19, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 92, 96])
            let file = "\(dir)-\(i).sqlite"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            tally.run {
                let db = try SQLiteDatabase(path: file, create: false)
                for t in try TableStore.list(caslib: "*", in: db) {
                    guard let (table, _) = try TableStore.load(caslib: t.caslib, name: t.name, from: db) else { continue }
                    #expect(table.columns.allSatisfy { $0.data.count == table.rowCount })
                    #expect(table.rowCount <= bytes.count && table.columns.count <= Limits.maxColumns)
                }
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
        }
        tally.report()
        #expect(tally.errors > 0 && tally.values > 0)
    }
}
