import CSQLite

/// A thin wrapper over one sqlite3 connection.
///
/// Not thread-safe: a connection has one owner at a time (an actor, or one job on the CPU queue).
/// `@unchecked Sendable` only so that an owner can hand it over; it is never shared concurrently.
public final class SQLiteDatabase: @unchecked Sendable {
    let handle: OpaquePointer
    public let path: String

    /// Opens (creating when asked) a database in WAL mode with a busy timeout.
    public init(path: String, create: Bool = true) throws(StorageError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close(db) }
            throw StorageError(.open, "cannot open SQLite database \(path): \(msg)")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 10_000)
        do {
            // Touching the schema surfaces "file is not a database" at open time rather than mid-action.
            try exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON")
            _ = try scalarInt("SELECT count(*) FROM sqlite_master")
        } catch {
            sqlite3_close(db)
            throw error
        }
    }

    deinit { sqlite3_close_v2(handle) }

    func fail(_ rc: Int32, _ what: String) -> StorageError {
        let msg = String(cString: sqlite3_errmsg(handle))
        let code = rc & 0xFF
        if code == SQLITE_CORRUPT || code == SQLITE_NOTADB {
            return StorageError(.corrupt, "The SQLite database \(path) is damaged or is not a database (\(msg)); restore it from a backup or remove it.")
        }
        return StorageError(.io, "SQLite error in \(what) on \(path): \(msg)")
    }

    /// Runs one or more statements without results.
    public func exec(_ sql: String) throws(StorageError) {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if let err { sqlite3_free(err) }
        guard rc == SQLITE_OK else { throw fail(rc, sql.prefix(60).description) }
    }

    public func prepare(_ sql: String) throws(StorageError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw fail(rc, "prepare \(sql.prefix(60))") }
        return Statement(stmt, db: self)
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE … COMMIT), rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try exec("COMMIT")
            return r
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    public func scalarInt(_ sql: String) throws(StorageError) -> Int64? {
        let s = try prepare(sql)
        return try s.step() ? s.int(0) : nil
    }

    /// Whether a table exists in the schema.
    public func hasTable(_ name: String) throws(StorageError) -> Bool {
        let s = try prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1")
        try s.bind(1, name)
        return try s.step()
    }
}

/// A prepared statement. Bind indices are 1-based, column indices 0-based (as in SQLite).
public final class Statement {
    let stmt: OpaquePointer
    let db: SQLiteDatabase

    init(_ stmt: OpaquePointer, db: SQLiteDatabase) {
        self.stmt = stmt
        self.db = db
    }

    deinit { sqlite3_finalize(stmt) }

    /// Steps once; true when a row is available.
    public func step() throws(StorageError) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw db.fail(rc, "step")
    }

    /// Runs to completion (for statements without results), then resets for reuse.
    public func run() throws(StorageError) {
        while try step() {}
        reset()
    }

    public func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {  // one immutable NUL byte, never written after init
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.pointee = 0
        return UnsafePointer(p)
    }()

    public func bindNull(_ i: Int32) { sqlite3_bind_null(stmt, i) }
    public func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
    public func bind(_ i: Int32, _ v: Double) {
        if v.isNaN { sqlite3_bind_null(stmt, i) } else { sqlite3_bind_double(stmt, i, v) }
    }
    /// Binds text by byte length, so embedded NUL characters survive; "" stays an empty string, not NULL.
    public func bind(_ i: Int32, _ v: String) throws(StorageError) {
        var s = v
        let rc = s.withUTF8 { p in
            p.withMemoryRebound(to: CChar.self) { c in sqlite3_bind_text(stmt, i, c.baseAddress ?? Self.empty, Int32(c.count), csqlite_transient) }
        }
        guard rc == SQLITE_OK else { throw db.fail(rc, "bind") }
    }
    public func bind(_ i: Int32, _ v: [UInt8]) throws(StorageError) {
        let rc = v.isEmpty ? sqlite3_bind_zeroblob(stmt, i, 0)
            : v.withUnsafeBytes { sqlite3_bind_blob(stmt, i, $0.baseAddress, Int32($0.count), csqlite_transient) }
        guard rc == SQLITE_OK else { throw db.fail(rc, "bind") }
    }

    public func isNull(_ c: Int32) -> Bool { sqlite3_column_type(stmt, c) == SQLITE_NULL }
    /// The storage class of column `c` in the current row: SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB or _NULL.
    public func storageClass(_ c: Int32) -> Int32 { sqlite3_column_type(stmt, c) }
    public func int(_ c: Int32) -> Int64 { sqlite3_column_int64(stmt, c) }
    public func double(_ c: Int32) -> Double { sqlite3_column_double(stmt, c) }
    public func string(_ c: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, c) else { return "" }
        let n = Int(sqlite3_column_bytes(stmt, c))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    public func blob(_ c: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, c))
        guard n > 0, let p = sqlite3_column_blob(stmt, c) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
