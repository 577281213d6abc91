import CSQLite
import Foundation

/// Consistent copies of live SQLite databases through SQLite's online backup API (`sqlite3_backup_*`),
/// for `caslite backup` while a server runs (docs/operations.md "Backups").
///
/// The whole database is copied in one `sqlite3_backup_step(-1)`, inside one read transaction of the
/// source: in WAL mode the server's writers go on meanwhile, and the copy is the database as of the
/// moment that transaction began. The copy is a single self-contained file (rollback journal, no `-wal`).
public enum SQLiteBackup {
    /// Copies the database at `source` into a new file `destination` (which must not exist). The source is
    /// opened read-only and never upgraded or otherwise changed, whatever its storage format.
    public static func copy(_ source: String, to destination: String) throws(StorageError) {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StorageError(.exists, "\(destination) already exists; a backup never replaces a file")
        }
        let src = try open(source, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close_v2(src) }
        sqlite3_busy_timeout(src, 10_000)
        let dst = try open(destination, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        defer { sqlite3_close_v2(dst) }
        guard let backup = sqlite3_backup_init(dst, "main", src, "main") else {
            throw StorageError(.io, "cannot back up \(source): \(String(cString: sqlite3_errmsg(dst)))")
        }
        var rc = sqlite3_backup_step(backup, -1)
        var tries = 0
        while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < 200 {  // a writer holds a lock the copy needs: wait up to 10 s
            tries += 1
            sqlite3_sleep(50)
            rc = sqlite3_backup_step(backup, -1)
        }
        let finish = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else {
            throw StorageError(.io, "backing up \(source) failed: \(String(cString: sqlite3_errstr(rc == SQLITE_DONE ? finish : rc)))")
        }
        // the copy carries the source's WAL flag in its header: make it one self-contained file
        guard sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nil, nil, nil) == SQLITE_OK else {
            throw StorageError(.io, "cannot finish the backup copy \(destination): \(String(cString: sqlite3_errmsg(dst)))")
        }
    }

    /// `PRAGMA integrity_check` of the database at `path`, opened read-only: nil when it is sound, else SQLite's first complaint.
    public static func integrityProblem(_ path: String) -> String? {
        guard let db = try? open(path, flags: SQLITE_OPEN_READONLY) else { return "cannot be opened as a SQLite database" }
        defer { sqlite3_close_v2(db) }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &stmt, nil) == SQLITE_OK, let stmt else {
            return String(cString: sqlite3_errmsg(db))
        }
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW, let text = sqlite3_column_text(stmt, 0) else { return String(cString: sqlite3_errmsg(db)) }
        let result = String(cString: text)
        return result == "ok" ? nil : result
    }

    /// The storage format (`user_version`) of the database at `path`, opened read-only.
    public static func storageFormat(_ path: String) throws(StorageError) -> Int64 {
        let db = try open(path, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close_v2(db) }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw StorageError(.corrupt, "\(path) is not a SQLite database: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW else { throw StorageError(.corrupt, "\(path): \(String(cString: sqlite3_errmsg(db)))") }
        return sqlite3_column_int64(stmt, 0)
    }

    /// The first column of every row `sql` returns from the database at `path`, opened read-only, as text.
    public static func strings(_ path: String, _ sql: String) throws(StorageError) -> [String] {
        let db = try open(path, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close_v2(db) }
        sqlite3_busy_timeout(db, 10_000)
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw StorageError(.io, "\(path): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(stmt) }
        var out: [String] = []
        while sqlite3_step(stmt) == SQLITE_ROW { out.append(sqlite3_column_text(stmt, 0).map { String(cString: $0) } ?? "") }
        return out
    }

    static func open(_ path: String, flags: Int32) throws(StorageError) -> OpaquePointer {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StorageError(.open, "cannot open SQLite database \(path): \(message)")
        }
        return db
    }
}
