/// A group of users, named in access controls with `identityType="Group"`.
public struct GroupRecord: Sendable, Equatable {
    public var name: String
    /// Member user names, sorted.
    public var members: [String]
    public var created: Double
}

// MARK: groups and their members
//
// Group names are case-insensitive and keep their given case (`Analysts` and `analysts` are one
// group); access-control entries store the group's own spelling. Group and user names are separate
// namespaces: a group may be named like a user, and the entry's identity type tells them apart.

extension ServerStore {
    static func prepareGroupSchema(_ db: SQLiteDatabase) throws(StorageError) {
        try db.exec("""
            CREATE TABLE IF NOT EXISTS groups(name TEXT PRIMARY KEY COLLATE NOCASE, created REAL);
            CREATE TABLE IF NOT EXISTS group_members(group_name TEXT NOT NULL COLLATE NOCASE, user TEXT NOT NULL,
              PRIMARY KEY (group_name, user));
            UPDATE OR REPLACE acl_entries SET identity_type = 'Group' WHERE identity = '*' AND identity_type = 'User';
            """)
    }

    /// Adds an empty group.
    public func addGroup(_ name: String, now: Double) throws(StorageError) {
        if let existing = try group(name) { throw StorageError(.exists, "Group '\(existing.name)' already exists.") }
        let s = try db.prepare("INSERT INTO groups(name, created) VALUES (?1, ?2)")
        try s.bind(1, name)
        s.bind(2, now)
        try s.run()
    }

    /// Removes a group, its memberships and every access control granted or denied to it, in one
    /// transaction: a group created later under the same name starts with no rights.
    public func removeGroup(_ name: String) throws(StorageError) {
        let g = try requireGroup(name)
        try inTransaction { () throws(StorageError) in
            for sql in ["DELETE FROM group_members WHERE group_name = ?1",
                        "DELETE FROM acl_entries WHERE identity_type = 'Group' AND identity = ?1",
                        "DELETE FROM groups WHERE name = ?1"] {
                let s = try db.prepare(sql)
                try s.bind(1, g.name)
                try s.run()
            }
        }
    }

    /// The group named `name` (any case), with its members.
    public func group(_ name: String) throws(StorageError) -> GroupRecord? {
        let s = try db.prepare("SELECT name, created FROM groups WHERE name = ?1")
        try s.bind(1, name)
        guard try s.step() else { return nil }
        let canonical = s.string(0), created = s.double(1)
        let m = try db.prepare("SELECT user FROM group_members WHERE group_name = ?1 ORDER BY user")
        try m.bind(1, canonical)
        var members: [String] = []
        while try m.step() { members.append(m.string(0)) }
        return GroupRecord(name: canonical, members: members, created: created)
    }

    /// Every group with its members, sorted by name.
    public func groups() throws(StorageError) -> [GroupRecord] {
        let s = try db.prepare("SELECT name FROM groups ORDER BY name COLLATE NOCASE")
        var names: [String] = []
        while try s.step() { names.append(s.string(0)) }
        var out: [GroupRecord] = []
        for n in names { if let g = try group(n) { out.append(g) } }
        return out
    }

    /// The groups `user` belongs to, in their own spelling, sorted. Read at every access check, so a
    /// membership change applies to running sessions at their next call.
    public func groups(of user: String) throws(StorageError) -> [String] {
        let s = try db.prepare("""
            SELECT g.name FROM group_members m JOIN groups g ON g.name = m.group_name WHERE m.user = ?1 ORDER BY g.name COLLATE NOCASE
            """)
        try s.bind(1, user)
        var out: [String] = []
        while try s.step() { out.append(s.string(0)) }
        return out
    }

    /// Adds an existing user to an existing group (already a member: nothing changes, `added` is false).
    /// Returns the group's spelling.
    @discardableResult
    public func addMember(_ user: String, to group: String) throws(StorageError) -> (group: String, added: Bool) {
        let g = try requireGroup(group)
        guard try self.user(user) != nil else {
            throw StorageError(.notFound, "User '\(user)' does not exist; add it first (`caslite users add \(user)`).")
        }
        let q = try db.prepare("SELECT 1 FROM group_members WHERE group_name = ?1 AND user = ?2")
        try q.bind(1, g.name)
        try q.bind(2, user)
        if try q.step() { return (g.name, false) }
        let s = try db.prepare("INSERT OR IGNORE INTO group_members(group_name, user) VALUES (?1, ?2)")
        try s.bind(1, g.name)
        try s.bind(2, user)
        try s.run()
        return (g.name, true)
    }

    /// Removes a member from a group. Returns the group's spelling.
    @discardableResult
    public func removeMember(_ user: String, from group: String) throws(StorageError) -> String {
        let g = try requireGroup(group)
        guard g.members.contains(user) else { throw StorageError(.notFound, "User '\(user)' is not a member of group '\(g.name)'.") }
        let s = try db.prepare("DELETE FROM group_members WHERE group_name = ?1 AND user = ?2")
        try s.bind(1, g.name)
        try s.bind(2, user)
        try s.run()
        return g.name
    }

    /// Deletes a removed user's memberships and access controls, so that a user added later under the
    /// same name inherits neither.
    func forgetUser(_ name: String) throws(StorageError) {
        for sql in ["DELETE FROM group_members WHERE user = ?1", "DELETE FROM acl_entries WHERE identity_type = 'User' AND identity = ?1"] {
            let s = try db.prepare(sql)
            try s.bind(1, name)
            try s.run()
        }
    }

    private func requireGroup(_ name: String) throws(StorageError) -> GroupRecord {
        guard let g = try group(name) else { throw StorageError(.notFound, "Group '\(name)' does not exist.") }
        return g
    }
}
