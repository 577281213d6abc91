import CASWire
import CSQLite

/// A table a statement names that the scratch database does not hold yet: `schema` is the caslib
/// part of `caslib.table` (nil for a bare name).
public struct SQLTableName: Sendable, Hashable, CustomStringConvertible {
    public var schema: String?
    public var name: String
    public init(schema: String?, name: String) {
        self.schema = schema
        self.name = name
    }
    /// Case-insensitive identity (SQLite compares table and schema names without case).
    var key: String { "\((schema ?? "main").lowercased())\u{0}\(name.lowercased())" }
    public var description: String { schema.map { "\($0).\(name)" } ?? name }
}

/// Why a statement did not run: SQLite's own message, or one of the scratch database's refusals.
public struct SQLError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// SQLite refused the statement (syntax, unknown column, …); the message is SQLite's.
        case sqlite
        /// The statement would do more than read the copied tables (ATTACH, PRAGMA, writes, …).
        case refused
        /// The caller cancelled.
        case cancelled
        /// The statement ran past `SQLScratch.maxTicks`.
        case tooMuchWork
    }
    public var kind: Kind
    public var message: String
    /// Where in the statement SQLite stopped (`sqlite3_error_offset`), when it says: line and column
    /// (1-based, columns in characters) and the text from there.
    public var position: (line: Int, column: Int, near: String)?
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }

    /// The message, then the position when there is one: `… (line 2, column 8: "frm t")`.
    public var located: String {
        guard let p = position else { return message }
        return "\(message) (line \(p.line), column \(p.column): \"\(p.near)\")"
    }

    /// Line, column and the next few characters of `sql` at byte `offset`.
    static func position(in sql: String, byte offset: Int) -> (line: Int, column: Int, near: String)? {
        let utf8 = Array(sql.utf8)
        guard offset >= 0, offset <= utf8.count else { return nil }
        let before = String(decoding: utf8[..<offset], as: UTF8.self)
        let lines = before.split(separator: "\n", omittingEmptySubsequences: false)
        let near = String(decoding: utf8[offset...], as: UTF8.self).prefix(20).split(separator: "\n").first.map(String.init) ?? ""
        return (lines.count, (lines.last?.count ?? 0) + 1, near)
    }
}

/// A private in-memory SQLite database for one fedSql statement: the tables the statement names are
/// copied in (`load`), then the statement runs on SQLite's own engine (`run`) and its rows come back
/// as a `DataTable`. No file is ever opened: the database and its temporary storage live in memory.
///
/// While a caller's statement is prepared and run, an authorizer allows only SELECT, reads of the
/// copied tables, functions other than `load_extension`, and recursive CTEs; everything else (ATTACH,
/// DETACH, PRAGMA, writes, transactions, schema changes) is denied, and a statement must be read-only.
/// A progress handler stops it when `isCancelled` says so, or after `maxTicks` × 1000 virtual-machine steps.
///
/// Not thread-safe: one owner uses it at a time (`@unchecked Sendable` so that the owner can hand it to
/// the blocking queue between steps; it is never used from two threads at once).
public final class SQLScratch: @unchecked Sendable {
    let db: OpaquePointer
    let policy: SQLPolicy
    var schemas: Set<String> = ["main"]

    /// At most this many progress ticks (1000 SQLite virtual-machine steps each, about 10⁹ steps in all).
    public static let maxTicks = 1_000_000
    /// Longest string or blob a query may make or read (SQLite's default is 10^9 bytes).
    public static let maxValueBytes = 1 << 26
    /// Most caslibs one statement may name (SQLite's limit on attached databases).
    public static let maxSchemas = 10

    public init(isCancelled: @escaping @Sendable () -> Bool) throws(SQLError) {
        var h: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(":memory:", &h, flags, nil) == SQLITE_OK, let h else {
            if let h { sqlite3_close(h) }
            throw SQLError(.sqlite, "SQLite could not open an in-memory database")
        }
        db = h
        policy = SQLPolicy(isCancelled: isCancelled)
        sqlite3_enable_load_extension(db, 0)
        sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1 << 24)
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, Int32(Self.maxValueBytes))
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, Int32(Self.maxSchemas))
        let ctx = Unmanaged.passUnretained(policy).toOpaque()
        sqlite3_set_authorizer(db, sqlAuthorize, ctx)
        sqlite3_progress_handler(db, 1000, sqlProgress, ctx)
        try exec("PRAGMA temp_store=MEMORY")
    }

    deinit { sqlite3_close_v2(db) }

    // MARK: our own statements (trusted)

    func exec(_ sql: String) throws(SQLError) {
        policy.trusted = true
        defer { policy.trusted = false }
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if let err { sqlite3_free(err) }
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    func error(_ rc: Int32) -> SQLError {
        if rc & 0xFF == SQLITE_INTERRUPT {
            return policy.stoppedForWork
                ? SQLError(.tooMuchWork, "The query ran more than \(Self.maxTicks) thousand SQLite steps and was stopped.")
                : SQLError(.cancelled, "cancelled")
        }
        let msg = String(cString: sqlite3_errmsg(db))
        if let denied = policy.denied {
            return SQLError(.refused, "\(denied) is not allowed: fedSql runs queries that read tables (and CREATE TABLE … AS SELECT) only.")
        }
        return SQLError(.sqlite, msg)
    }

    /// Copies `data` in as `name` (a bare name into `main`, `caslib.table` into a schema of the caslib's
    /// name). Column types are declared so that reading them back gives the same CAS types.
    public func load(_ data: DataTable, as name: SQLTableName) throws(SQLError) {
        let schema = name.schema ?? "main"
        if !schemas.contains(schema.lowercased()) {
            guard schemas.count < Self.maxSchemas else {
                throw SQLError(.refused, "A query may name tables of at most \(Self.maxSchemas - 1) caslibs.")
            }
            try exec("ATTACH DATABASE ':memory:' AS \(Self.quote(schema))")
            schemas.insert(schema.lowercased())
        }
        let target = "\(Self.quote(schema)).\(Self.quote(name.name))"
        let cols = data.columns.map { "\(Self.quote($0.name)) \(Self.declaredType($0.data.type))" }.joined(separator: ", ")
        try exec("CREATE TABLE \(target) (\(cols))")
        guard !data.columns.isEmpty, data.rowCount > 0 else {
            policy.readable.insert(name.key)
            return
        }
        try exec("BEGIN")
        policy.trusted = true
        defer { policy.trusted = false }
        let marks = Array(repeating: "?", count: data.columns.count).joined(separator: ", ")
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, "INSERT INTO \(target) VALUES (\(marks))", -1, &stmt, nil) == SQLITE_OK, let stmt else { throw error(sqlite3_errcode(db)) }
        defer { sqlite3_finalize(stmt) }
        for row in 0..<data.rowCount {
            if row & 4095 == 0, policy.isCancelled() { throw SQLError(.cancelled, "cancelled") }
            for (i, c) in data.columns.enumerated() { bind(c.data, row, stmt, Int32(i + 1)) }
            let rc = sqlite3_step(stmt)
            guard rc == SQLITE_DONE else { throw error(rc) }
            sqlite3_reset(stmt)
        }
        policy.trusted = false
        try exec("COMMIT")
        policy.readable.insert(name.key)
    }

    func bind(_ data: ColumnData, _ row: Int, _ stmt: OpaquePointer, _ i: Int32) {
        switch data {
        case .double(let a): if a[row].isNaN { sqlite3_bind_null(stmt, i) } else { sqlite3_bind_double(stmt, i, a[row]) }
        case .int64(let a): if let v = a[row] { sqlite3_bind_int64(stmt, i, v) } else { sqlite3_bind_null(stmt, i) }
        case .int32(let a): if let v = a[row] { sqlite3_bind_int64(stmt, i, Int64(v)) } else { sqlite3_bind_null(stmt, i) }
        case .varchar(let a):
            guard var s = a[row] else { sqlite3_bind_null(stmt, i); return }
            s.withUTF8 { p in
                p.withMemoryRebound(to: CChar.self) { c in _ = sqlite3_bind_text(stmt, i, c.baseAddress ?? Self.empty, Int32(c.count), csqlite_transient) }
            }
        case .varbinary(let a):
            guard let b = a[row] else { sqlite3_bind_null(stmt, i); return }
            if b.isEmpty { sqlite3_bind_zeroblob(stmt, i, 0) } else { b.withUnsafeBytes { _ = sqlite3_bind_blob(stmt, i, $0.baseAddress, Int32($0.count), csqlite_transient) } }
        }
    }

    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {  // one immutable NUL byte, never written after init
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.pointee = 0
        return UnsafePointer(p)
    }()

    /// A CAS type as a declared SQLite column type; `SQLResult.casType` maps it back.
    static func declaredType(_ t: ColumnType) -> String {
        switch t {
        case .double: "DOUBLE"
        case .int64: "BIGINT"
        case .int32: "INT32"
        case .varchar: "VARCHAR"
        case .varbinary: "BLOB"
        }
    }

    /// An identifier in SQL's double quotes (a `"` inside doubled).
    public static func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    // MARK: the caller's statement (under the authorizer)

    /// Prepares `sql` under the authorizer: nil when every table it names is here; the first missing
    /// table otherwise (copy it in with `load` and ask again). Other errors are SQLite's.
    public func missingTable(in sql: String) throws(SQLError) -> SQLTableName? {
        do {
            let stmt = try prepare(sql)
            sqlite3_finalize(stmt)
            return nil
        } catch let e where e.kind == .sqlite && e.message.hasPrefix("no such table: ") {
            let full = String(e.message.dropFirst("no such table: ".count))
            guard let dot = full.firstIndex(of: ".") else { return SQLTableName(schema: nil, name: full) }
            return SQLTableName(schema: String(full[..<dot]), name: String(full[full.index(after: dot)...]))
        }
    }

    func prepare(_ sql: String) throws(SQLError) -> OpaquePointer {
        policy.denied = nil
        policy.schemaChange = false
        var stmt: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let rc = sql.withCString { p -> Int32 in
            let rc = sqlite3_prepare_v2(db, p, -1, &stmt, &tail)
            if rc == SQLITE_OK, let tail, !String(cString: tail).allSatisfy({ $0.isWhitespace || $0 == ";" }) { return -1 }
            return rc
        }
        if rc == -1 {
            sqlite3_finalize(stmt)
            throw SQLError(.refused, "The query holds more than one statement; send one at a time.")
        }
        guard rc == SQLITE_OK else {
            if policy.schemaChange { throw SQLError(.refused, SQLForms.refusal(of: sql)) }
            var e = error(rc)
            if e.kind == .sqlite { e.position = SQLError.position(in: sql, byte: Int(sqlite3_error_offset(db))) }
            throw e
        }
        guard let stmt else { throw SQLError(.refused, "The query is empty.") }
        let placeholders = sqlite3_bind_parameter_count(stmt)
        guard placeholders == 0 else {
            let first = sqlite3_bind_parameter_name(stmt, 1).map { String(cString: $0) } ?? "?"
            sqlite3_finalize(stmt)
            throw SQLError(.refused, """
                The query has \(placeholders) parameter placeholder\(placeholders == 1 ? "" : "s") (\(first)); fedSql.execDirect binds no values, \
                so write the values into the query (where temperature > 20).
                """)
        }
        guard sqlite3_stmt_readonly(stmt) != 0, sqlite3_column_count(stmt) > 0 else {
            sqlite3_finalize(stmt)
            throw SQLError(.refused, "Only queries that read tables (SELECT, WITH … SELECT, VALUES) and CREATE TABLE … AS SELECT are allowed.")
        }
        return stmt
    }

    /// Runs `sql` (prepared by `missingTable` until nothing was missing) and returns its rows, and how
    /// many infinite values became missing ones (CAS has no infinity).
    /// `reserve(bytes)` is called as rows accumulate and may throw to stop (a memory budget).
    public func run(_ sql: String, name: String, reserve: (Int) throws -> Void) throws -> (table: DataTable, infinite: Int) {
        let stmt = try prepare(sql)
        defer { sqlite3_finalize(stmt) }
        policy.ticks = 0
        var result = SQLResult(stmt)
        var pending = 0
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc) }
            pending += result.append(stmt)
            if pending > 1 << 20 {
                try reserve(pending)
                pending = 0
            }
        }
        try reserve(pending)
        return (result.table(name: name), result.infinite)
    }
}

/// What the authorizer and the progress handler consult (their C context pointer).
final class SQLPolicy {
    /// Our own statements (copying tables in) run unchecked.
    var trusted = false
    /// Copied tables (`SQLTableName.key`), the only ones a statement may read.
    var readable: Set<String> = []
    /// What the authorizer last refused, for the error message.
    var denied: String?
    /// The statement would write SQLite's schema table: a CREATE form other than CREATE TABLE name AS <query>,
    /// or a table-valued function (json_each, pragma_table_info) — `SQLForms.refusal` says which.
    var schemaChange = false
    var ticks = 0
    var stoppedForWork = false
    let isCancelled: @Sendable () -> Bool
    init(isCancelled: @escaping @Sendable () -> Bool) { self.isCancelled = isCancelled }

    func authorize(_ action: Int32, _ a: String?, _ b: String?, _ schema: String?) -> Int32 {
        if trusted { return SQLITE_OK }
        switch action {
        case SQLITE_SELECT, SQLITE_RECURSIVE: return SQLITE_OK
        case SQLITE_READ:
            // a CTE or subquery has no database; every real table has one, and must be a copy
            guard let schema else { return SQLITE_OK }
            if readable.contains(SQLTableName(schema: schema, name: a ?? "").key) { return SQLITE_OK }
            denied = "Reading \(a ?? "?")"
        case SQLITE_FUNCTION:
            if b?.lowercased() != "load_extension" { return SQLITE_OK }
            denied = "load_extension"
        case SQLITE_ATTACH: denied = "ATTACH"
        case SQLITE_DETACH: denied = "DETACH"
        case SQLITE_PRAGMA: denied = "PRAGMA \(a ?? "")"
        case SQLITE_TRANSACTION: denied = "A transaction statement"
        case SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE:
            denied = "Changing table \(a ?? "?")"
            schemaChange = ["sqlite_master", "sqlite_temp_master", "sqlite_schema", "sqlite_temp_schema"].contains(a?.lowercased() ?? "")
        default: denied = "This statement"
        }
        return SQLITE_DENY
    }
}

private let sqlAuthorize: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = {
    ctx, action, a, b, schema, _ in
    guard let ctx else { return SQLITE_DENY }
    let p = Unmanaged<SQLPolicy>.fromOpaque(ctx).takeUnretainedValue()
    return p.authorize(action, a.map { String(cString: $0) }, b.map { String(cString: $0) }, schema.map { String(cString: $0) })
}

private let sqlProgress: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { ctx in
    guard let ctx else { return 1 }
    let p = Unmanaged<SQLPolicy>.fromOpaque(ctx).takeUnretainedValue()
    if p.trusted { return p.isCancelled() ? 1 : 0 }
    p.ticks += 1
    if p.ticks > SQLScratch.maxTicks { p.stoppedForWork = true; return 1 }
    return p.isCancelled() ? 1 : 0
}

/// SQLite's heap in the whole process. A query's sorts, groupings and temporary values live in SQLite's own
/// memory, which the memory budget cannot see; `caslite serve` caps it at the server's budget, so a query
/// like `order by randomblob(4e8)` fails with SQLite's "out of memory" instead of growing the server.
public enum SQLiteHeap {
    /// Caps all SQLite allocations of this process at `bytes` (SQLite's hard heap limit).
    public static func limit(_ bytes: Int) { _ = sqlite3_hard_heap_limit64(Int64(bytes)) }
}
