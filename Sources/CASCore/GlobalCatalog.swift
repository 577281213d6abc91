import CASStorage
import CASWire
import Foundation
import Dispatch

/// Promoted (global-scope) tables shared by every session, written through to the server's
/// SQLite database so that they are back after a restart.
///
/// Readers get immutable snapshots: a replacement is written to SQLite first and then swapped in
/// whole, so a reader sees either the old or the new version, never a mix. Writes to one table are
/// serialised (a second writer gets a clear "busy" error instead of interleaving).
public actor GlobalCatalog {
    private var tables: [TableKey: CASTable] = [:]
    private var charged: [TableKey: Int] = [:]
    private var writing: Set<TableKey> = []
    /// `<data>/server.sqlite`; nil keeps global tables in memory only.
    let databasePath: String?
    /// Keeps each table's identity (access controls are bound to it); nil: no identities (tests).
    let store: ServerStore?
    /// Where global tables are charged (to the server, not to a session).
    let budget: MemoryBudget?
    /// Told of every table added, promoted or dropped (the web monitor's Tables page).
    let events: ServerEvents?

    public init(databasePath: String?, store: ServerStore? = nil, budget: MemoryBudget? = nil, events: ServerEvents? = nil) {
        self.databasePath = databasePath
        self.store = store
        self.budget = budget
        self.events = events
    }

    /// Tells the monitor's event streams; a global table's event names no session (who sees it is the table's rule).
    private func announce(_ kind: ServerEvent.TableChange.Kind, _ t: CASTable) {
        events?.publish(ServerEvent(.table(.init(kind, caslib: t.caslib, name: t.name, global: true)), session: "", owner: "", action: ""))
    }

    /// Restores every promoted table from the database (server start), with its identity; identities
    /// (and access controls) of tables that no longer exist are deleted.
    public func load(from store: ServerStore) async throws {
        var ids: [TableKey: String] = [:]
        for o in try await store.objectIds() where !o.table.isEmpty { ids[TableKey(caslib: o.caslib, name: o.table)] = o.id }
        for (caslib, data, meta) in try await store.globalTables() {
            var t = CASTable(data: data, caslib: caslib, creator: meta.creator, sourceName: meta.sourceName, sourceCaslib: meta.sourceCaslib)
            t.created = meta.created
            t.modified = meta.modified
            t.isGlobal = true
            let key = TableKey(caslib: caslib, name: data.name)
            t.objectId = try await store.ensureObjectId(caslib: caslib, table: data.name)
            ids[key] = nil
            tables[key] = t
            charged[key] = data.estimatedBytes
            budget?.force(data.estimatedBytes, session: nil)
        }
        for o in try await store.objectIds() where !o.table.isEmpty && ids[TableKey(caslib: o.caslib, name: o.table)] != nil {
            try await store.forgetTable(caslib: o.caslib, table: o.table)
        }
    }

    public func table(_ key: TableKey) -> CASTable? { tables[key] }

    /// Every global table, by caslib and name.
    public func all() -> [CASTable] { tables.values.sorted { ($0.caslib, $0.name) < ($1.caslib, $1.name) } }

    /// Every global table with the bytes it is charged (`/metrics`).
    public func sizes() -> [(caslib: String, name: String, bytes: Int)] {
        tables.map { key, t in (t.caslib, t.name, charged[key] ?? t.chargedBytes) }
    }

    /// Adds a global table. Refuses an existing name unless `replace` (promote never replaces; CAS users drop first).
    /// `change` is what the monitor's event says happened (`promoted` for `table.promote`).
    /// With `ifModified`, stores only if the table it replaces is still the one the caller read (its `modified`
    /// time): checked after this writer holds the key, so no other put of the key can land in between.
    public func put(_ table: CASTable, replace: Bool, as change: ServerEvent.TableChange.Kind = .added,
                    ifModified expected: Double? = nil) async throws(ActionError) {
        let key = TableKey(caslib: table.caslib, name: table.name)
        if tables[key] != nil && !replace {
            throw ActionError(.alreadyExists, "A global table \(table.name) already exists in caslib \(table.caslib); drop it first (promote does not replace).")
        }
        guard writing.insert(key).inserted else {
            throw ActionError(.alreadyExists, "Global table \(table.name) in caslib \(table.caslib) is being written by another session; try again.")
        }
        defer { writing.remove(key) }
        if let expected, tables[key]?.modified != expected {
            throw ActionError(.alreadyExists, "Global table \(table.name) in caslib \(table.caslib) changed since it was read; not overwritten.")
        }
        var t = table
        t.isGlobal = true
        t.modified = max(ServerClock.now, (tables[key]?.modified ?? 0).nextUp)   // every replace is seen, even within one clock tick
        let bytes = t.chargedBytes, old = charged[key] ?? 0
        if bytes > old { try budget?.charge(bytes - old, session: nil, for: "Global table \(t.name)") }
        do {
            try await persist(t)
            // a replacement keeps the table's identity (and its access controls); a new table gets a fresh one
            if let existing = tables[key] { t.objectId = existing.objectId } else { t.objectId = try await newIdentity(t) }
        } catch {
            if bytes > old { budget?.release(bytes - old, session: nil) }
            throw error
        }
        if bytes < old { budget?.release(old - bytes, session: nil) }
        charged[key] = bytes
        tables[key] = t
        announce(change, t)
    }

    private func newIdentity(_ t: CASTable) async throws(ActionError) -> String {
        guard let store else { return "" }
        do { return try await store.newObjectId(caslib: t.caslib, table: t.name) } catch {
            throw ActionError(.internalError, "Could not record the identity of global table \(t.name): \(error.message)")
        }
    }

    @discardableResult public func drop(_ key: TableKey) async throws(ActionError) -> CASTable? {
        guard let t = tables[key] else { return nil }
        guard writing.insert(key).inserted else {
            throw ActionError(.alreadyExists, "Global table \(t.name) is being written by another session; try again.")
        }
        defer { writing.remove(key) }
        if let path = databasePath {
            try await Blocking.run { () throws(ActionError) -> Void in
                try Self.storageErrors { try GlobalTableFile.delete(caslib: t.caslib, name: t.name, databasePath: path) }
            }
        }
        tables[key] = nil
        budget?.release(charged.removeValue(forKey: key) ?? 0, session: nil)
        announce(.dropped, t)
        // its access controls go with it: a table created later under this name starts with its owner's rights only
        do { try await store?.forgetTable(caslib: t.caslib, table: t.name) } catch {
            throw ActionError(.internalError, "Dropped global table \(t.name), but could not delete its access controls: \(error.message)")
        }
        return t
    }

    /// Drops every global table of a caslib (the caslib was dropped); returns their names.
    public func dropAll(caslib: String) async throws(ActionError) -> [String] {
        var names: [String] = []
        for t in list(caslib: caslib) {
            if try await drop(TableKey(caslib: caslib, name: t.name)) != nil { names.append(t.name) }
        }
        return names
    }

    public func list(caslib: String) -> [CASTable] {
        tables.values.filter { $0.caslib.uppercased() == caslib.uppercased() }.sorted { $0.name < $1.name }
    }

    private func persist(_ t: CASTable) async throws(ActionError) {
        guard let path = databasePath else { return }
        let meta = TableMeta(created: t.created, modified: t.modified, creator: t.creator, sourceName: t.sourceName, sourceCaslib: t.sourceCaslib)
        try await Blocking.run { () throws(ActionError) -> Void in
            try Self.storageErrors {
                try GlobalTableFile.save(t.data, caslib: t.caslib, meta: meta, databasePath: path)
            }
        }
    }

    static func storageErrors(_ body: () throws -> Void) throws(ActionError) {
        do { try body() } catch let e as StorageError {
            throw ActionError(.internalError, "Could not write the global table to the server database: \(e.message)")
        } catch {
            throw ActionError(.internalError, "Could not write the global table to the server database: \(error)")
        }
    }
}

/// Runs blocking work (SQLite, file I/O, number crunching) off the NIO event loops and the cooperative
/// thread pool, each job on a thread of its own: a shared pool as wide as the cores let two users' long
/// SQL queries hold every other user's filters, loads and queries back. Threads are as many as calls
/// running at once (a session runs one at a time), each with `stackSize` bytes of stack.
public enum Blocking {
    /// The stack of each job's thread (the parsers' depth limits are set for 8 MiB debug-build frames).
    public static let stackSize = 16 << 20

    public static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let r: Result<T, E> = await withCheckedContinuation { cont in
            let thread = Thread {
                do throws(E) { cont.resume(returning: .success(try body())) } catch { cont.resume(returning: .failure(error)) }
            }
            thread.stackSize = stackSize
            thread.name = "caslite.blocking"
            thread.start()
        }
        return try r.get()
    }
}
