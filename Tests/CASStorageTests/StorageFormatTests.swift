import CASStorage
import Foundation
import Testing

/// `StorageFormat` on real SQLite files: new files are stamped, older ones upgraded once, newer ones refused untouched.
@Suite("Storage formats")
struct StorageFormatTests {
    func withFile(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-format-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir + "/t.sqlite")
    }

    func history(_ path: String) throws -> [String] { try SQLiteBackup.strings(path, "SELECT version || ' ' || note FROM caslite_format ORDER BY rowid") }

    @Test func aNewFileIsStampedWithTheCurrentFormatOnce() throws {
        try withFile { path in
            try TableStore.prepare(SQLiteDatabase(path: path))
            try TableStore.prepare(SQLiteDatabase(path: path))  // again: nothing more to do
            #expect(try SQLiteBackup.storageFormat(path) == StorageFormat.current)
            #expect(try history(path) == ["\(StorageFormat.current) created (caslib)"])
        }
    }

    @Test func anUnnumberedFileIsUpgradedAndKeepsItsRows() throws {
        try withFile { path in
            let db = try SQLiteDatabase(path: path)
            try db.exec("CREATE TABLE caslite_tables(caslib TEXT, name TEXT, label TEXT, title TEXT, attributes TEXT, created REAL, modified REAL, creator TEXT, source_name TEXT, source_caslib TEXT, row_count INTEGER, data_table TEXT NOT NULL, PRIMARY KEY (caslib, name)); INSERT INTO caslite_tables(caslib, name, row_count, data_table) VALUES ('Public', 't', 3, 'caslite_data_1')")
            try TableStore.prepare(db)
            #expect(try SQLiteBackup.storageFormat(path) == StorageFormat.current)
            #expect(try history(path) == ["\(StorageFormat.current) upgraded from format 0 (caslib)"])
            #expect(try SQLiteBackup.strings(path, "SELECT name || ' ' || row_count FROM caslite_tables") == ["t 3"])
        }
    }

    @Test func aNewerFileIsRefusedAndLeftAsItWas() throws {
        try withFile { path in
            try SQLiteDatabase(path: path).exec("CREATE TABLE x(a); PRAGMA user_version = \(StorageFormat.current + 5)")
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect {
                try TableStore.prepare(SQLiteDatabase(path: path))
            } throws: { error in
                let e = error as? StorageError
                return e?.kind == .newerFormat && e?.message.contains("storage format \(StorageFormat.current + 5)") == true
                    && e?.message.contains("Nothing was changed") == true
            }
            #expect(try SQLiteBackup.storageFormat(path) == StorageFormat.current + 5)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }
}
