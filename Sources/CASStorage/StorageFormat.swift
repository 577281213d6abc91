import Foundation

/// The format of caslite's SQLite files (`<data>/server.sqlite` and each caslib's `.caslite.sqlite`),
/// kept in SQLite's `PRAGMA user_version` (docs/operations.md "Upgrades", docs/decisions/016-operating-caslite.md).
///
/// Format 0 is every file written before the format was numbered (caslite 0.1.0 up to this change);
/// `Tests/fixtures/datafolder-format0` is such a data folder. Opening a file of an older format
/// migrates it in one transaction (`BEGIN IMMEDIATE`: a second process opening it at the same time
/// waits, then finds it migrated); a file of a newer format is refused, never changed.
public enum StorageFormat {
    /// The format this build writes.
    public static let current: Int64 = 2

    /// What a database holds: the server's own database, or a caslib's saved tables.
    public enum Kind: String, Sendable { case server, caslib }

    /// One step from `to - 1` to `to`, run inside the upgrade transaction after the file's tables exist.
    struct Migration: Sendable {
        let to: Int64
        let what: String
        let run: @Sendable (SQLiteDatabase, Kind) throws(StorageError) -> Void
    }

    /// Every step, in order. A step never drops user data; one that reshapes a table copies it in the same transaction.
    static let migrations: [Migration] = [
        Migration(to: 1, what: "number the format; keep an upgrade history in caslite_format") { (db: SQLiteDatabase, _: Kind) throws(StorageError) in
            try db.exec("CREATE TABLE IF NOT EXISTS caslite_format(version INTEGER NOT NULL, applied REAL NOT NULL, note TEXT)")
        },
        Migration(to: 2, what: "global caslibs keep addCaslib's subDirectories (1 for every caslib added before)") { (db: SQLiteDatabase, kind: Kind) throws(StorageError) in
            guard kind == .server else { return }
            let s = try db.prepare("SELECT count(*) FROM pragma_table_info('caslibs') WHERE name = 'subdirs'")
            guard try s.step(), s.int(0) == 0 else { return }
            try db.exec("ALTER TABLE caslibs ADD COLUMN subdirs INTEGER NOT NULL DEFAULT 1")
        },
    ]

    /// The format stored in `db` (0 for a file written before formats were numbered).
    public static func version(of db: SQLiteDatabase) throws(StorageError) -> Int64 {
        try db.scalarInt("PRAGMA user_version") ?? 0
    }

    /// Refuses a file written by a newer caslite; brings an older (or new, empty) file to `current` in one
    /// transaction: `prepare` (idempotent `CREATE … IF NOT EXISTS` of the file's tables), then each migration
    /// step, then the new `user_version`. A file already at `current` only gets `prepare`.
    public static func open(_ db: SQLiteDatabase, kind: Kind, prepare: (SQLiteDatabase) throws(StorageError) -> Void) throws(StorageError) {
        let found = try version(of: db)
        try refuseNewer(found, db: db)
        guard found < current else {
            try prepare(db)
            return
        }
        do {
            try db.transaction { () throws -> Void in try upgrade(db, kind: kind, prepare: prepare) }
        } catch let e as StorageError {
            throw e
        } catch {
            throw StorageError(.io, "upgrading \(db.path) to storage format \(current) failed: \(error)")
        }
    }

    static func upgrade(_ db: SQLiteDatabase, kind: Kind, prepare: (SQLiteDatabase) throws(StorageError) -> Void) throws(StorageError) {
        let now = try version(of: db)  // another process may have upgraded it meanwhile
        try refuseNewer(now, db: db)
        let wasEmpty = try db.scalarInt("SELECT count(*) FROM sqlite_master") == 0
        try prepare(db)
        for step in migrations where step.to > now { try step.run(db, kind) }
        let note = wasEmpty ? "created (\(kind.rawValue))" : "upgraded from format \(now) (\(kind.rawValue))"
        let s = try db.prepare("INSERT INTO caslite_format(version, applied, note) VALUES (?1, ?2, ?3)")
        s.bind(1, current)
        s.bind(2, Date().timeIntervalSince1970)
        try s.bind(3, note)
        try s.run()
        try db.exec("PRAGMA user_version = \(current)")
    }

    static func refuseNewer(_ found: Int64, db: SQLiteDatabase) throws(StorageError) {
        guard found > current else { return }
        throw StorageError(.newerFormat, """
            \(db.path) was written by a newer caslite (storage format \(found); this caslite reads formats 0 to \(current)). \
            Nothing was changed: run the newer caslite on this data folder, or restore a backup made with this version (docs/operations.md "Upgrades").
            """)
    }
}
