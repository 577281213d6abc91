/// One access-control entry: `identity` is granted or denied `permission` on one object — a global
/// caslib (`table` empty) or a global table. The entry is bound to the object's identity
/// (`objectId`), not to its name: it is deleted with the object and never applies to another
/// object created later under the same name.
public struct ACLEntry: Sendable, Equatable {
    public var objectId: String
    public var caslib: String
    /// Empty for an entry on the caslib itself.
    public var table: String
    /// A user name, a group name, or `*` (with `Group`) for every authenticated user.
    public var identity: String
    /// `User` or `Group`.
    public var identityType: String
    /// A CAS permission name, e.g. `Select`.
    public var permission: String
    public var grant: Bool

    public init(objectId: String, caslib: String, table: String, identity: String, identityType: String = "User", permission: String, grant: Bool) {
        self.objectId = objectId
        self.caslib = caslib
        self.table = table
        self.identity = identity
        self.identityType = identityType
        self.permission = permission
        self.grant = grant
    }
}

/// A global caslib added with `table.addCaslib session=False`.
public struct CaslibRecord: Sendable, Equatable {
    public var name: String
    public var path: String
    public var description: String
    public var owner: String
    /// addCaslib's subDirectories: whether files in the folder's subfolders are reachable.
    public var subdirectories: Bool

    public init(name: String, path: String, description: String, owner: String, subdirectories: Bool = true) {
        self.name = name
        self.path = path
        self.description = description
        self.owner = owner
        self.subdirectories = subdirectories
    }
}

/// A global object (caslib or promoted table) and its identity.
public struct ObjectIdentity: Sendable, Equatable {
    public var caslib: String
    /// Empty for a caslib.
    public var table: String
    public var id: String
}

// MARK: global caslibs, object identities, access controls

extension ServerStore {
    static func prepareAccessSchema(_ db: SQLiteDatabase) throws(StorageError) {
        try db.exec("""
            CREATE TABLE IF NOT EXISTS caslibs(name TEXT PRIMARY KEY COLLATE NOCASE, path TEXT NOT NULL, description TEXT, owner TEXT);
            CREATE TABLE IF NOT EXISTS object_ids(caslib TEXT NOT NULL COLLATE NOCASE, table_name TEXT NOT NULL COLLATE NOCASE,
              id TEXT NOT NULL UNIQUE, PRIMARY KEY (caslib, table_name));
            CREATE TABLE IF NOT EXISTS acl_entries(object_id TEXT NOT NULL, caslib TEXT NOT NULL COLLATE NOCASE, table_name TEXT NOT NULL COLLATE NOCASE,
              identity TEXT NOT NULL, identity_type TEXT NOT NULL, permission TEXT NOT NULL, grant_ INTEGER NOT NULL,
              PRIMARY KEY (object_id, identity, identity_type, permission));
            """)
    }

    // MARK: global caslibs

    /// Adds a global caslib and gives it a fresh identity (dropping anything left under its name).
    public func addCaslib(_ c: CaslibRecord) throws(StorageError) {
        try inTransaction { () throws(StorageError) in
            let s = try db.prepare("INSERT INTO caslibs(name, path, description, owner, subdirs) VALUES (?1, ?2, ?3, ?4, ?5)")
            for (i, v) in [c.name, c.path, c.description, c.owner].enumerated() { try s.bind(Int32(i + 1), v) }
            s.bind(5, Int64(c.subdirectories ? 1 : 0))
            do { try s.run() } catch { throw StorageError(.exists, "A global caslib \(c.name) already exists.") }
            try forgetObjects(caslib: c.name, table: nil)
            _ = try insertObjectId(caslib: c.name, table: "")
        }
    }

    /// Drops a global caslib with its identity, the identities of its tables and every access control of them.
    public func dropCaslib(_ name: String) throws(StorageError) {
        try inTransaction { () throws(StorageError) in
            let s = try db.prepare("DELETE FROM caslibs WHERE name = ?1")
            try s.bind(1, name)
            try s.run()
            try forgetObjects(caslib: name, table: nil)
        }
    }

    public func caslibs() throws(StorageError) -> [CaslibRecord] {
        let s = try db.prepare("SELECT name, path, description, owner, subdirs FROM caslibs ORDER BY name")
        var out: [CaslibRecord] = []
        while try s.step() {
            out.append(CaslibRecord(name: s.string(0), path: s.string(1), description: s.string(2), owner: s.string(3), subdirectories: s.int(4) != 0))
        }
        return out
    }

    // MARK: object identities

    /// The identity of a global caslib (`table` empty) or table, if it has one.
    public func objectId(caslib: String, table: String = "") throws(StorageError) -> String? {
        let s = try db.prepare("SELECT id FROM object_ids WHERE caslib = ?1 AND table_name = ?2")
        try s.bind(1, caslib)
        try s.bind(2, table)
        return try s.step() ? s.string(0) : nil
    }

    /// The object's identity, creating one when it has none (objects from before identities existed, `Public`).
    public func ensureObjectId(caslib: String, table: String = "") throws(StorageError) -> String {
        if let id = try objectId(caslib: caslib, table: table) { return id }
        return try insertObjectId(caslib: caslib, table: table)
    }

    /// A new object under this name: any identity and access control left by an older object of the
    /// same name is deleted first, so the new one starts with its owner's rights only.
    public func newObjectId(caslib: String, table: String) throws(StorageError) -> String {
        try inTransaction { () throws(StorageError) -> String in
            try forgetObjects(caslib: caslib, table: table)
            return try insertObjectId(caslib: caslib, table: table)
        }
    }

    /// Deletes a global table's identity and its access controls (the table was dropped).
    public func forgetTable(caslib: String, table: String) throws(StorageError) {
        try inTransaction { () throws(StorageError) in try forgetObjects(caslib: caslib, table: table) }
    }

    public func objectIds() throws(StorageError) -> [ObjectIdentity] {
        let s = try db.prepare("SELECT caslib, table_name, id FROM object_ids ORDER BY caslib, table_name")
        var out: [ObjectIdentity] = []
        while try s.step() { out.append(ObjectIdentity(caslib: s.string(0), table: s.string(1), id: s.string(2))) }
        return out
    }

    private func insertObjectId(caslib: String, table: String) throws(StorageError) -> String {
        let s = try db.prepare("INSERT INTO object_ids(caslib, table_name, id) VALUES (?1, ?2, lower(hex(randomblob(16)))) RETURNING id")
        try s.bind(1, caslib)
        try s.bind(2, table)
        guard try s.step() else { throw StorageError(.io, "cannot record the identity of \(table.isEmpty ? "caslib \(caslib)" : "table \(table)")") }
        return s.string(0)
    }

    /// `table` nil: the caslib and every table in it.
    private func forgetObjects(caslib: String, table: String?) throws(StorageError) {
        let match = table == nil ? "caslib = ?1" : "caslib = ?1 AND table_name = ?2"
        for sql in ["DELETE FROM acl_entries WHERE object_id IN (SELECT id FROM object_ids WHERE \(match))",
                    "DELETE FROM acl_entries WHERE \(match)",
                    "DELETE FROM object_ids WHERE \(match)"] {
            let s = try db.prepare(sql)
            try s.bind(1, caslib)
            if let table { try s.bind(2, table) }
            try s.run()
        }
    }

    // MARK: access controls

    /// Adds or replaces an entry (same object, identity and permission). `*` is always stored as a group.
    public func setACL(_ e: ACLEntry) throws(StorageError) {
        let s = try db.prepare("INSERT OR REPLACE INTO acl_entries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        let type = Self.identityType(e.identity, e.identityType)
        for (i, v) in [e.objectId, e.caslib, e.table, e.identity, type, e.permission].enumerated() { try s.bind(Int32(i + 1), v) }
        s.bind(7, Int64(e.grant ? 1 : 0))
        try s.run()
    }

    public func removeACL(objectId: String, identity: String, identityType: String, permission: String) throws(StorageError) {
        let s = try db.prepare("DELETE FROM acl_entries WHERE object_id = ?1 AND identity = ?2 AND identity_type = ?3 AND permission = ?4")
        for (i, v) in [objectId, identity, Self.identityType(identity, identityType), permission].enumerated() { try s.bind(Int32(i + 1), v) }
        try s.run()
    }

    /// `*` (every authenticated user) is a group entry, whatever type it was sent or stored with.
    static func identityType(_ identity: String, _ type: String) -> String { identity == "*" ? "Group" : type }

    /// The entries bound to any of these objects.
    public func acls(objectIds: [String]) throws(StorageError) -> [ACLEntry] {
        guard !objectIds.isEmpty else { return [] }
        let marks = objectIds.indices.map { "?\($0 + 1)" }.joined(separator: ", ")
        let s = try db.prepare("""
            SELECT object_id, caslib, table_name, identity, identity_type, permission, grant_ FROM acl_entries
            WHERE object_id IN (\(marks)) ORDER BY table_name, identity, permission
            """)
        for (i, id) in objectIds.enumerated() { try s.bind(Int32(i + 1), id) }
        var out: [ACLEntry] = []
        while try s.step() {
            out.append(ACLEntry(objectId: s.string(0), caslib: s.string(1), table: s.string(2), identity: s.string(3), identityType: s.string(4),
                                permission: s.string(5), grant: s.int(6) != 0))
        }
        return out
    }

    /// Entries stored by versions before object identities (`acls`, with the permissions read, write,
    /// drop and promote): bound to the objects that exist now (others are dropped), each old permission
    /// stored as the CAS permissions `expand` gives; then the old table is removed. Returns how many were kept.
    public func migrateLegacyACLs(expand: (String) -> [String]) throws(StorageError) -> Int {
        guard try db.hasTable("acls") else { return 0 }
        var kept = 0
        try inTransaction { () throws(StorageError) in
            let s = try db.prepare("SELECT caslib, table_name, identity, permission, grant_ FROM acls")
            var old: [(String, String, String, String, Bool)] = []
            while try s.step() { old.append((s.string(0), s.string(1), s.string(2), s.string(3), s.int(4) != 0)) }
            for (caslib, table, identity, permission, grant) in old {
                guard let id = try objectId(caslib: caslib, table: table) else { continue }
                for p in expand(permission) {
                    try setACL(ACLEntry(objectId: id, caslib: caslib, table: table, identity: identity, permission: p, grant: grant))
                    kept += 1
                }
            }
            try db.exec("DROP TABLE acls")
        }
        return kept
    }

    func inTransaction<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        try db.exec("SAVEPOINT access")
        do {
            let r = try body()
            try db.exec("RELEASE access")
            return r
        } catch {
            try? db.exec("ROLLBACK TO access; RELEASE access")
            throw error
        }
    }
}
