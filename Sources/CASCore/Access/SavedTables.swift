import CASStorage
import CASWire
import Foundation

/// The tables saved in a caslib's database (`.caslite.sqlite` in its folder), approved by the gate
/// (`ActionContext.savedTables(in:for:parameter:)`) for one kind of access. Actions reach saved
/// tables only through it; storage errors come back naming the caslib, never a server path.
public struct SavedTables: Sendable {
    public let caslib: Caslib
    public let access: FileAccess
    let databasePath: String
    let parameter: String

    init(caslib: Caslib, access: FileAccess, parameter: String) {
        self.caslib = caslib
        self.access = access
        self.databasePath = RealPath.resolve(caslib.path) + "/.caslite.sqlite"
        self.parameter = parameter
    }

    /// Whether the caslib has a table database at all.
    public var exists: Bool { FileManager.default.fileExists(atPath: databasePath) }

    /// A saved table, read row by row (nil when there is none of that name); `checkpoint` gets the rows read and
    /// the table's row count. Runs on the caller's thread.
    public func load(_ name: String, checkpoint: ((_ rows: Int, _ total: Int) throws -> Void)? = nil) throws(ActionError) -> (DataTable, TableMeta)? {
        try require(.read)
        guard exists else { return nil }
        return try storage { () throws -> (DataTable, TableMeta)? in
            try TableStore.load(caslib: caslib.name, name: name, from: try SQLiteDatabase(path: databasePath, create: false), checkpoint: checkpoint)
        }
    }

    /// Saves a table atomically (refusing to overwrite unless `replace`).
    public func save(_ table: DataTable, meta: TableMeta, replace: Bool, checkpoint: ((Int) throws -> Void)? = nil) throws(ActionError) {
        try require(.write)
        try storage { () throws in
            let db = try SQLiteDatabase(path: databasePath)
            try PrivateFiles.makePrivate(databasePath)
            try TableStore.save(table, caslib: caslib.name, meta: meta, replace: replace, in: db, checkpoint: checkpoint)
        }
    }

    /// Deletes one saved table; false when there is none of that name.
    public func delete(_ name: String) throws(ActionError) -> Bool {
        try require(.delete)
        guard exists else { return false }
        return try storage { () throws -> Bool in
            try TableStore.delete(caslib: caslib.name, name: name, in: try SQLiteDatabase(path: databasePath, create: false))
        }
    }

    /// The saved tables (empty when the caslib has no database).
    public func list() throws(ActionError) -> [StoredTable] {
        guard access == .list || access == .read else { throw ActionError(.internalError, "saved tables of \(caslib.name) were not approved for listing") }
        guard exists else { return [] }
        return try storage { () throws -> [StoredTable] in
            try TableStore.list(caslib: caslib.name, in: try SQLiteDatabase(path: databasePath, create: false))
        }
    }

    func require(_ a: FileAccess) throws(ActionError) {
        guard access == a else { throw ActionError(.internalError, "saved tables of \(caslib.name) were approved for \(access), not \(a)") }
    }

    /// Runs a storage call; its errors name the caslib instead of the database's path.
    func storage<T>(_ body: () throws -> T) throws(ActionError) -> T {
        do { return try body() } catch let e as ActionError {
            throw e
        } catch let e as StorageError {
            let message = e.message.replacingOccurrences(of: "SQLite database \(databasePath)", with: "its table database")
                .replacingOccurrences(of: databasePath, with: "its table database")
            throw ActionError(e.kind == .exists ? .alreadyExists : .badInput, "Caslib \(caslib.name): \(message)",
                              parameter: e.kind == .exists ? "replace" : parameter)
        } catch {
            throw ActionError(.badInput, "Caslib \(caslib.name): \(error)", parameter: parameter)
        }
    }
}
