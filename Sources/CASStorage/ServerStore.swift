import CASWire

/// A user account.
public struct UserRecord: Sendable, Equatable {
    public var name: String
    public var isAdmin: Bool
    public var created: Double
}

/// One access-control entry: `identity` (a user, or `*` for every user) is granted or denied
/// `permission` on a caslib (`table` empty) or on one table of it.
public struct ACLEntry: Sendable, Equatable {
    public var caslib: String
    public var table: String
    public var identity: String
    public var permission: String
    public var grant: Bool

    public init(caslib: String, table: String, identity: String, permission: String, grant: Bool) {
        self.caslib = caslib
        self.table = table
        self.identity = identity
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

    public init(name: String, path: String, description: String, owner: String) {
        self.name = name
        self.path = path
        self.description = description
        self.owner = owner
    }
}

/// The server's own database (`<data>/server.sqlite`): users, access controls, global caslibs and
/// promoted tables. One connection, owned by this actor; bulk table writes open their own
/// connection (see `GlobalTableWriter`) so the actor is never busy for long.
public actor ServerStore {
    let db: SQLiteDatabase
    public nonisolated let path: String

    public init(path: String) throws(StorageError) {
        self.path = path
        db = try SQLiteDatabase(path: path)
        try db.exec("""
            CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, hash TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0, created REAL);
            CREATE TABLE IF NOT EXISTS acls(caslib TEXT NOT NULL COLLATE NOCASE, table_name TEXT NOT NULL COLLATE NOCASE, identity TEXT NOT NULL,
              permission TEXT NOT NULL COLLATE NOCASE, grant_ INTEGER NOT NULL, PRIMARY KEY (caslib, table_name, identity, permission));
            CREATE TABLE IF NOT EXISTS caslibs(name TEXT PRIMARY KEY COLLATE NOCASE, path TEXT NOT NULL, description TEXT, owner TEXT);
            CREATE TABLE IF NOT EXISTS action_sets(name TEXT PRIMARY KEY COLLATE NOCASE, owner TEXT NOT NULL);
            """)
        try TableStore.prepare(db)
    }

    // MARK: users
    //
    // Argon2 hashing never runs inside this actor (it takes ~0.1 s and 64 MiB): passwords are hashed
    // before entering it, and logins fetch the stored hash here and verify it elsewhere
    // (CASCore's `Login`, on its bounded pool), so nothing that reads the store waits for a hash.

    /// Adds a user; the password is hashed before the actor is entered.
    public nonisolated func addUser(_ name: String, password: String, admin: Bool, now: Double) async throws(StorageError) {
        try await insertUser(name, hash: try Passwords.hash(password), admin: admin, now: now)
    }

    /// Replaces a user's password; the new one is hashed before the actor is entered.
    public nonisolated func setPassword(_ name: String, password: String) async throws(StorageError) {
        try await updateHash(name, hash: try Passwords.hash(password))
    }

    func insertUser(_ name: String, hash: String, admin: Bool, now: Double) throws(StorageError) {
        guard try user(name) == nil else { throw StorageError(.exists, "User '\(name)' already exists; use `caslite users passwd \(name)` to change the password.") }
        let s = try db.prepare("INSERT INTO users(name, hash, admin, created) VALUES (?1, ?2, ?3, ?4)")
        try s.bind(1, name)
        try s.bind(2, hash)
        s.bind(3, Int64(admin ? 1 : 0))
        s.bind(4, now)
        try s.run()
    }

    func updateHash(_ name: String, hash: String) throws(StorageError) {
        guard try user(name) != nil else { throw StorageError(.notFound, "User '\(name)' does not exist.") }
        let s = try db.prepare("UPDATE users SET hash = ?2 WHERE name = ?1")
        try s.bind(1, name)
        try s.bind(2, hash)
        try s.run()
    }

    public func removeUser(_ name: String) throws(StorageError) {
        guard try user(name) != nil else { throw StorageError(.notFound, "User '\(name)' does not exist.") }
        let s = try db.prepare("DELETE FROM users WHERE name = ?1")
        try s.bind(1, name)
        try s.run()
    }

    public func user(_ name: String) throws(StorageError) -> UserRecord? {
        let s = try db.prepare("SELECT name, admin, created FROM users WHERE name = ?1")
        try s.bind(1, name)
        return try s.step() ? UserRecord(name: s.string(0), isAdmin: s.int(1) != 0, created: s.double(2)) : nil
    }

    public func users() throws(StorageError) -> [UserRecord] {
        let s = try db.prepare("SELECT name, admin, created FROM users ORDER BY name")
        var out: [UserRecord] = []
        while try s.step() { out.append(UserRecord(name: s.string(0), isAdmin: s.int(1) != 0, created: s.double(2))) }
        return out
    }

    /// The user and their stored Argon2id hash, or nil for an unknown name. Verifying is the caller's
    /// job, outside this actor.
    public func credentials(_ name: String) throws(StorageError) -> (user: UserRecord, hash: String)? {
        let s = try db.prepare("SELECT name, admin, created, hash FROM users WHERE name = ?1")
        try s.bind(1, name)
        guard try s.step() else { return nil }
        return (UserRecord(name: s.string(0), isAdmin: s.int(1) != 0, created: s.double(2)), s.string(3))
    }

    /// The user when `password` is right; nil otherwise. Unknown names cost the same hash check
    /// (`Passwords.decoy`). The hash is verified outside the actor, unbounded: for tools and tests —
    /// a server checks logins through CASCore's `Login` (bounded pool, throttling).
    public nonisolated func verify(_ name: String, password: String) async throws(StorageError) -> UserRecord? {
        let stored = try await credentials(name)
        let ok = Passwords.verify(password, against: stored?.hash ?? Passwords.decoy)
        return ok ? stored?.user : nil
    }

    // MARK: access control

    public func setACL(_ e: ACLEntry) throws(StorageError) {
        let s = try db.prepare("INSERT OR REPLACE INTO acls VALUES (?1, ?2, ?3, ?4, ?5)")
        try s.bind(1, e.caslib)
        try s.bind(2, e.table)
        try s.bind(3, e.identity)
        try s.bind(4, e.permission.lowercased())
        s.bind(5, Int64(e.grant ? 1 : 0))
        try s.run()
    }

    public func removeACL(caslib: String, table: String, identity: String, permission: String) throws(StorageError) {
        let s = try db.prepare("DELETE FROM acls WHERE caslib = ?1 AND table_name = ?2 AND identity = ?3 AND permission = ?4")
        for (i, v) in [caslib, table, identity, permission].enumerated() { try s.bind(Int32(i + 1), v) }
        try s.run()
    }

    /// Entries of a caslib (`table == nil`: every entry of the caslib, table-level ones included).
    public func acls(caslib: String, table: String? = nil) throws(StorageError) -> [ACLEntry] {
        let s = try db.prepare("SELECT caslib, table_name, identity, permission, grant_ FROM acls WHERE caslib = ?1 AND (?2 IS NULL OR table_name = ?2) ORDER BY table_name, identity, permission")
        try s.bind(1, caslib)
        if let table { try s.bind(2, table) } else { s.bindNull(2) }
        var out: [ACLEntry] = []
        while try s.step() { out.append(ACLEntry(caslib: s.string(0), table: s.string(1), identity: s.string(2), permission: s.string(3), grant: s.int(4) != 0)) }
        return out
    }

    public func dropACLs(caslib: String, table: String) throws(StorageError) {
        let s = try db.prepare("DELETE FROM acls WHERE caslib = ?1 AND table_name = ?2")
        try s.bind(1, caslib)
        try s.bind(2, table)
        try s.run()
    }

    // MARK: global caslibs

    public func addCaslib(_ c: CaslibRecord) throws(StorageError) {
        let s = try db.prepare("INSERT INTO caslibs VALUES (?1, ?2, ?3, ?4)")
        for (i, v) in [c.name, c.path, c.description, c.owner].enumerated() { try s.bind(Int32(i + 1), v) }
        do { try s.run() } catch { throw StorageError(.exists, "A global caslib \(c.name) already exists.") }
    }

    public func dropCaslib(_ name: String) throws(StorageError) {
        let s = try db.prepare("DELETE FROM caslibs WHERE name = ?1")
        try s.bind(1, name)
        try s.run()
    }

    public func caslibs() throws(StorageError) -> [CaslibRecord] {
        let s = try db.prepare("SELECT name, path, description, owner FROM caslibs ORDER BY name")
        var out: [CaslibRecord] = []
        while try s.step() { out.append(CaslibRecord(name: s.string(0), path: s.string(1), description: s.string(2), owner: s.string(3))) }
        return out
    }

    // MARK: owners of user-defined action sets (their definitions are files, docs/decisions/004)

    public func setActionSetOwner(_ name: String, owner: String) throws(StorageError) {
        let s = try db.prepare("INSERT OR REPLACE INTO action_sets(name, owner) VALUES (?1, ?2)")
        try s.bind(1, name)
        try s.bind(2, owner)
        try s.run()
    }

    /// The user who defined the set, or nil for a set nobody defined through the server (an operator's file).
    public func actionSetOwner(_ name: String) throws(StorageError) -> String? {
        let s = try db.prepare("SELECT owner FROM action_sets WHERE name = ?1")
        try s.bind(1, name)
        return try s.step() ? s.string(0) : nil
    }

    public func removeActionSetOwner(_ name: String) throws(StorageError) {
        let s = try db.prepare("DELETE FROM action_sets WHERE name = ?1")
        try s.bind(1, name)
        try s.run()
    }

    // MARK: promoted tables

    /// Every promoted table, to rebuild the global catalog at start.
    public func globalTables() throws -> [(caslib: String, table: DataTable, meta: TableMeta)] {
        try TableStore.list(caslib: "*", in: db).compactMap { st in
            try TableStore.load(caslib: st.caslib, name: st.name, from: db).map { (st.caslib, $0.0, $0.1) }
        }
    }
}
