import CASStorage
import Foundation
import Testing

/// The data folder `Tests/fixtures/datafolder-format0`, made by caslite 0.1.0 before storage formats were numbered
/// (users alice/alicepw1 (admin) and bob/bobpw123, group analysts = {bob}; promoted Public.gh (greenhouse.csv, bob
/// may read) and Public.tiny (3 rows, analysts may read); saved tables ghsaved in public and tinycopy in CASUSER(alice)).
enum DataFolderFixture {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let format0 = repo.appendingPathComponent("Tests/fixtures/datafolder-format0").path

    /// A private copy of the fixture at `root` (which must not exist yet).
    static func copy(to root: String) throws {
        try FileManager.default.copyItem(atPath: format0, toPath: root)
    }

    /// The SQLite databases below `root` (relative paths, sorted).
    static func databases(_ root: String) -> [String] {
        let all = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return all.filter { $0 == "server.sqlite" || $0.hasSuffix(".caslite.sqlite") }.sorted()
    }

    /// Every row of every table of every database below `root`, as text: equal dumps are equal contents
    /// (users and their hashes, groups, access controls, promoted and saved tables, every cell).
    static func dump(_ root: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for path in databases(root) {
            let db = try SQLiteDatabase(path: root + "/" + path, create: false)
            let tables = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            var names: [String] = []
            while try tables.step() { names.append(tables.string(0)) }
            for table in names {
                let info = try db.prepare("SELECT name FROM pragma_table_info(?1)")
                try info.bind(1, table)
                var cols: [String] = []
                while try info.step() { cols.append("quote(\"\(info.string(0))\")") }
                let rows = try db.prepare("SELECT \(cols.joined(separator: " || ',' || ")) FROM \"\(table)\" ORDER BY rowid")
                var text = ""
                while try rows.step() { text += rows.string(0) + "\n" }
                out["\(path):\(table)"] = text
            }
        }
        return out
    }

    /// `PRAGMA user_version` of one database.
    static func format(_ path: String) throws -> Int64 { try SQLiteBackup.storageFormat(path) }

    /// Sets `PRAGMA user_version` (to fake a file from a newer caslite).
    static func setFormat(_ path: String, _ v: Int64) throws {
        try SQLiteDatabase(path: path, create: false).exec("PRAGMA user_version = \(v)")
    }
}
