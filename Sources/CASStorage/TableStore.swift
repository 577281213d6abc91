import CASWire
import CSQLite
import CheckedSize

/// Catalog metadata kept with a saved table.
public struct TableMeta: Sendable, Equatable {
    public var created: Double
    public var modified: Double
    public var creator: String
    public var sourceName: String
    public var sourceCaslib: String

    public init(created: Double, modified: Double, creator: String, sourceName: String = "", sourceCaslib: String = "") {
        self.created = created
        self.modified = modified
        self.creator = creator
        self.sourceName = sourceName
        self.sourceCaslib = sourceCaslib
    }
}

/// One saved table as listed by the catalog.
public struct StoredTable: Sendable, Equatable {
    public var caslib: String
    public var name: String
    public var label: String
    public var rows: Int
    public var columns: Int
    public var meta: TableMeta
}

/// Saves and loads typed tables in a SQLite database: a catalog of tables and columns (every CAS
/// type, label, format and attribute) and one SQLite table per saved table with typed columns
/// (REAL / INTEGER / TEXT / BLOB; NULL is a missing value), one row per table row, in order.
///
/// Saving is one transaction that writes a new data table and then switches the catalog to it, so a
/// crash mid-save leaves the previous version intact. Loading streams rows with a prepared statement.
public enum TableStore {
    /// Checks the file's storage format (refusing a newer one, upgrading an older one) and creates the
    /// catalog tables if they are missing.
    public static func prepare(_ db: SQLiteDatabase) throws(StorageError) {
        try StorageFormat.open(db, kind: .caslib, prepare: createTables)
    }

    /// Creates the catalog tables if they are missing (inside `StorageFormat.open`).
    static func createTables(_ db: SQLiteDatabase) throws(StorageError) {
        try db.exec("""
            CREATE TABLE IF NOT EXISTS caslite_tables(
              caslib TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE, label TEXT, title TEXT, attributes TEXT,
              created REAL, modified REAL, creator TEXT, source_name TEXT, source_caslib TEXT, row_count INTEGER, data_table TEXT NOT NULL,
              PRIMARY KEY (caslib, name));
            CREATE TABLE IF NOT EXISTS caslite_columns(
              caslib TEXT NOT NULL COLLATE NOCASE, table_name TEXT NOT NULL COLLATE NOCASE, position INTEGER NOT NULL,
              name TEXT, label TEXT, format TEXT, type TEXT, attributes TEXT, PRIMARY KEY (caslib, table_name, position));
            CREATE TABLE IF NOT EXISTS caslite_seq(id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL);
            """)
    }

    static func sqlType(_ t: ColumnType) -> String {
        switch t {
        case .double: "REAL"
        case .int64, .int32: "INTEGER"
        case .varchar: "TEXT"
        case .varbinary: "BLOB"
        }
    }

    static func json(_ d: ValueDict) -> String { Value.dict(d).jsonString }
    static func dict(_ s: String) -> ValueDict { (try? JSONParser.parse(s))?.dictValue ?? ValueDict() }

    /// Saves `table` as `caslib`/`table.name`. Refuses to overwrite unless `replace`.
    /// `checkpoint(rows)` is called every 16 384 rows and may throw to abandon the save (nothing changes).
    public static func save(_ table: DataTable, caslib: String, meta: TableMeta, replace: Bool, in db: SQLiteDatabase,
                            checkpoint: ((Int) throws -> Void)? = nil) throws {
        try prepare(db)
        try db.transaction { () throws -> Void in
            let old = try dataTable(caslib: caslib, name: table.name, in: db)
            if old != nil && !replace {
                throw StorageError(.exists, "A saved table \(table.name) already exists in caslib \(caslib); use replace=True to overwrite it.")
            }
            try db.exec("INSERT INTO caslite_seq(at) VALUES (0)")
            let dataName = "caslite_data_\(sqlite3_last_insert_rowid(db.handle))"
            let cols = table.columns.enumerated().map { "c\($0.offset) \(sqlType($0.element.type))" }.joined(separator: ", ")
            try db.exec("CREATE TABLE \(dataName)(\(cols.isEmpty ? "unused INTEGER" : cols))")
            try insertRows(table, into: dataName, db: db, checkpoint: checkpoint)
            try writeCatalog(table, caslib: caslib, meta: meta, dataName: dataName, db: db)
            if let old { try db.exec("DROP TABLE IF EXISTS \(old)") }
        }
    }

    static func insertRows(_ table: DataTable, into dataName: String, db: SQLiteDatabase, checkpoint: ((Int) throws -> Void)?) throws {
        guard !table.columns.isEmpty else { return }
        let marks = (1...table.columns.count).map { "?\($0)" }.joined(separator: ",")
        let ins = try db.prepare("INSERT INTO \(dataName) VALUES (\(marks))")
        for r in 0..<table.rowCount {
            for (c, col) in table.columns.enumerated() {
                let i = Int32(c + 1)
                switch col.data {
                case .double(let a): ins.bind(i, a[r])
                case .int64(let a): if let v = a[r] { ins.bind(i, v) } else { ins.bindNull(i) }
                case .int32(let a): if let v = a[r] { ins.bind(i, Int64(v)) } else { ins.bindNull(i) }
                case .varchar(let a): if let v = a[r] { try ins.bind(i, v) } else { ins.bindNull(i) }
                case .varbinary(let a): if let v = a[r] { try ins.bind(i, v) } else { ins.bindNull(i) }
                }
            }
            try ins.run()
            if r % 16_384 == 16_383 { try checkpoint?(r + 1) }
        }
    }

    static func writeCatalog(_ table: DataTable, caslib: String, meta: TableMeta, dataName: String, db: SQLiteDatabase) throws {
        let del = try db.prepare("DELETE FROM caslite_columns WHERE caslib = ?1 AND table_name = ?2")
        try del.bind(1, caslib)
        try del.bind(2, table.name)
        try del.run()
        let up = try db.prepare("""
            INSERT OR REPLACE INTO caslite_tables(caslib, name, label, title, attributes, created, modified, creator, source_name, source_caslib, row_count, data_table)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
            """)
        for (i, s) in [caslib, table.name, table.label, table.title, json(table.attributes)].enumerated() { try up.bind(Int32(i + 1), s) }
        up.bind(6, meta.created)
        up.bind(7, meta.modified)
        try up.bind(8, meta.creator)
        try up.bind(9, meta.sourceName)
        try up.bind(10, meta.sourceCaslib)
        up.bind(11, Int64(table.rowCount))
        try up.bind(12, dataName)
        try up.run()
        let col = try db.prepare("INSERT INTO caslite_columns VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        for (p, c) in table.columns.enumerated() {
            try col.bind(1, caslib)
            try col.bind(2, table.name)
            col.bind(3, Int64(p))
            for (i, s) in [c.name, c.label, c.format, c.type.rawValue, json(c.attributes)].enumerated() { try col.bind(Int32(i + 4), s) }
            try col.run()
        }
    }

    static func dataTable(caslib: String, name: String, in db: SQLiteDatabase) throws(StorageError) -> String? {
        let q = try db.prepare("SELECT data_table FROM caslite_tables WHERE caslib = ?1 AND name = ?2")
        try q.bind(1, caslib)
        try q.bind(2, name)
        return try q.step() ? q.string(0) : nil
    }

    /// Loads a saved table row by row, exactly as saved. Nil when there is none of that name.
    ///
    /// A crafted or damaged file gives a `.corrupt` error naming what is wrong, never a trap or an
    /// allocation its contents do not back: the catalog's row count is only a capacity hint (checked
    /// against `Limits.maxRows` and against the rows actually read), the data table's name must be one
    /// caslite writes, at most `Limits.maxColumns` columns, and every cell must have its column's type.
    /// `checkpoint` gets the rows read so far and the catalog's row count (for progress).
    public static func load(caslib: String, name: String, from db: SQLiteDatabase,
                            checkpoint: ((_ rows: Int, _ total: Int) throws -> Void)? = nil) throws -> (DataTable, TableMeta)? {
        try prepare(db)
        let q = try db.prepare("""
            SELECT name, label, title, attributes, created, modified, creator, source_name, source_caslib, row_count, data_table
            FROM caslite_tables WHERE caslib = ?1 AND name = ?2
            """)
        try q.bind(1, caslib)
        try q.bind(2, name)
        guard try q.step() else { return nil }
        var table = DataTable(name: q.string(0), label: q.string(1), title: q.string(2), attributes: dict(q.string(3)))
        let meta = TableMeta(created: q.double(4), modified: q.double(5), creator: q.string(6), sourceName: q.string(7), sourceCaslib: q.string(8))
        let rows = Int(q.int(9))
        let dataName = q.string(10)
        func corrupt(_ what: String) -> StorageError {
            StorageError(.corrupt, "Saved table \(name) in caslib \(caslib) is damaged: \(what); save it again or remove the file.")
        }
        guard (0...Limits.maxRows).contains(rows) else { throw corrupt("its catalog claims \(rows) rows") }
        guard dataName.hasPrefix("caslite_data_"), dataName.count > 13, dataName.dropFirst(13).allSatisfy(\.isASCII), Int(dataName.dropFirst(13)) != nil else {
            throw corrupt("its data table is named '\(dataName.prefix(80))', not caslite_data_<n>")
        }
        guard try db.hasTable(dataName) else { throw corrupt("its data table \(dataName) is missing") }
        let cq = try db.prepare("SELECT name, label, format, type, attributes FROM caslite_columns WHERE caslib = ?1 AND table_name = ?2 ORDER BY position")
        try cq.bind(1, caslib)
        try cq.bind(2, table.name)
        while try cq.step() {
            guard table.columns.count < Limits.maxColumns else { throw corrupt("its catalog lists more than \(Limits.maxColumns) columns") }
            guard let type = ColumnType(name: cq.string(3)) else {
                throw StorageError(.corrupt, "Saved table \(name) in caslib \(caslib) has a column of unknown type '\(cq.string(3))'.")
            }
            table.columns.append(Column(name: cq.string(0), label: cq.string(1), format: cq.string(2), attributes: dict(cq.string(4)),
                                        data: .empty(type, capacity: min(rows, 1 << 16))))
        }
        guard !table.columns.isEmpty else { return (table, meta) }
        let width = try db.prepare("SELECT count(*) FROM pragma_table_info(?1)")
        try width.bind(1, dataName)
        guard try width.step(), width.int(0) == Int64(table.columns.count) else {
            throw corrupt("its data table does not hold the \(table.columns.count) columns its catalog lists")
        }
        let read: Int
        do { read = try readRows(&table, from: dataName, db: db, checkpoint: checkpoint.map { c in { try c($0, rows) } }) } catch let e as CellTypeError {
            throw corrupt("row \(e.row + 1), column \(table.columns[e.column].name) holds \(e.found), but the column is \(table.columns[e.column].type.rawValue)")
        }
        guard read == rows else { throw corrupt("its catalog claims \(rows) rows, the data table holds \(read)") }
        return (table, meta)
    }

    /// A cell whose SQLite storage class is not its column's type.
    struct CellTypeError: Error {
        var row: Int, column: Int, found: String
    }

    /// Whether a cell of SQLite storage class `c` can belong to a column of `type` (NULL is missing).
    static func accepts(_ type: ColumnData, _ c: Int32) -> Bool {
        if c == SQLITE_NULL { return true }
        switch type {
        case .double: return c == SQLITE_FLOAT || c == SQLITE_INTEGER
        case .int64, .int32: return c == SQLITE_INTEGER
        case .varchar: return c == SQLITE_TEXT
        case .varbinary: return c == SQLITE_BLOB
        }
    }

    /// Reads every row into the columns; returns the row count. Throws `CellTypeError` for a cell of
    /// the wrong type.
    static func readRows(_ table: inout DataTable, from dataName: String, db: SQLiteDatabase, checkpoint: ((Int) throws -> Void)?) throws -> Int {
        let cols = table.columns.indices.map { "c\($0)" }.joined(separator: ", ")
        let q = try db.prepare("SELECT \(cols) FROM \(dataName) ORDER BY rowid")
        var columns = table.columns.map(\.data)
        table.columns.indices.forEach { table.columns[$0].data = .double([]) }  // release while building
        var r = 0
        while try q.step() {
            for c in columns.indices {
                let i = Int32(c)
                let storage = q.storageClass(i)
                guard accepts(columns[c], storage) else {
                    let names = [SQLITE_INTEGER: "an integer", SQLITE_FLOAT: "a real", SQLITE_TEXT: "text", SQLITE_BLOB: "a blob"]
                    throw CellTypeError(row: r, column: c, found: names[storage] ?? "storage class \(storage)")
                }
                let null = storage == SQLITE_NULL
                switch columns[c] {
                case .double(var a): columns[c] = .double([]); a.append(null ? .nan : q.double(i)); columns[c] = .double(a)
                case .int64(var a): columns[c] = .double([]); a.append(null ? nil : q.int(i)); columns[c] = .int64(a)
                case .int32(var a): columns[c] = .double([]); a.append(null ? nil : Int32(truncatingIfNeeded: q.int(i))); columns[c] = .int32(a)
                case .varchar(var a): columns[c] = .double([]); a.append(null ? nil : q.string(i)); columns[c] = .varchar(a)
                case .varbinary(var a): columns[c] = .double([]); a.append(null ? nil : q.blob(i)); columns[c] = .varbinary(a)
                }
            }
            r += 1
            if r % 16_384 == 0 { try checkpoint?(r) }
        }
        for c in columns.indices { table.columns[c].data = columns[c] }
        return r
    }

    /// The saved tables of a caslib.
    public static func list(caslib: String, in db: SQLiteDatabase) throws -> [StoredTable] {
        try prepare(db)
        let q = try db.prepare("""
            SELECT t.name, t.label, t.row_count, (SELECT count(*) FROM caslite_columns c WHERE c.caslib = t.caslib AND c.table_name = t.name),
                   t.created, t.modified, t.creator, t.source_name, t.source_caslib, t.caslib
            FROM caslite_tables t WHERE ?1 = '*' OR t.caslib = ?1 ORDER BY t.caslib, t.name
            """)
        try q.bind(1, caslib)
        var out: [StoredTable] = []
        while try q.step() {
            out.append(StoredTable(caslib: q.string(9), name: q.string(0), label: q.string(1), rows: Int(q.int(2)), columns: Int(q.int(3)),
                                   meta: TableMeta(created: q.double(4), modified: q.double(5), creator: q.string(6),
                                                   sourceName: q.string(7), sourceCaslib: q.string(8))))
        }
        return out
    }

    /// Deletes a saved table; false when there was none.
    @discardableResult
    public static func delete(caslib: String, name: String, in db: SQLiteDatabase) throws -> Bool {
        try prepare(db)
        return try db.transaction { () throws -> Bool in
            guard let data = try dataTable(caslib: caslib, name: name, in: db) else { return false }
            for sql in ["DELETE FROM caslite_tables WHERE caslib = ?1 AND name = ?2", "DELETE FROM caslite_columns WHERE caslib = ?1 AND table_name = ?2"] {
                let s = try db.prepare(sql)
                try s.bind(1, caslib)
                try s.bind(2, name)
                try s.run()
            }
            try db.exec("DROP TABLE IF EXISTS \(data)")
            return true
        }
    }
}
