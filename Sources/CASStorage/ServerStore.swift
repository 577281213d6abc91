import CASWire

/// A user account.
public struct UserRecord: Sendable, Equatable {
    public var name: String
    public var isAdmin: Bool
    public var created: Double
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
        try StorageFormat.open(db, kind: .server, prepare: Self.createTables)
        try PrivateFiles.makePrivate(path)
    }

    /// Creates the server's tables if they are missing (inside `StorageFormat.open`).
    static func createTables(_ db: SQLiteDatabase) throws(StorageError) {
        try db.exec("""
            CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, hash TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0, created REAL);
            CREATE TABLE IF NOT EXISTS action_sets(name TEXT PRIMARY KEY COLLATE NOCASE, owner TEXT NOT NULL);
            """)
        try TableStore.createTables(db)
        try prepareAccessSchema(db)
        try prepareGroupSchema(db)
    }

    /// Throws when the server's database cannot be read (`/readyz`).
    /// Reads the tables logins and caslibs need (a damaged page there fails here, not only at the next login).
    public func ping() throws(StorageError) {
        _ = try db.scalarInt("SELECT count(*) FROM sqlite_master")
        _ = try db.scalarInt("SELECT count(*) FROM users")
        _ = try db.scalarInt("SELECT count(*) FROM caslibs")
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
        // Caslib names ignore case, so CASUSER(ALICE) is CASUSER(alice): user names may not differ only in case
        // (names are ASCII, which SQLite's NOCASE folds exactly).
        let clash = try db.prepare("SELECT name FROM users WHERE name = ?1 COLLATE NOCASE")
        try clash.bind(1, name)
        if try clash.step() {
            throw StorageError(.exists, "User '\(clash.string(0))' already exists, and user names may not differ only in case: both would own the caslib CASUSER(\(name))")
        }
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

    /// Removes a user with their group memberships and the access controls naming them.
    public func removeUser(_ name: String) throws(StorageError) {
        guard try user(name) != nil else { throw StorageError(.notFound, "User '\(name)' does not exist.") }
        try inTransaction { () throws(StorageError) in
            let s = try db.prepare("DELETE FROM users WHERE name = ?1")
            try s.bind(1, name)
            try s.run()
            try forgetUser(name)
        }
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
