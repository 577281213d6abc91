/// The tables a user may see outside an action (the web monitor), by the same rules as the table gate
/// (`ActionContext.tables(in:)`): session tables of the sessions they may manage, and the global tables
/// they have ReadInfo on (`AccessControl.allowed`).
public struct VisibleTable: Sendable {
    public var table: CASTable
    /// The session that holds it; nil for a global (promoted) table.
    public var session: String?
}

extension ServerContext {
    /// Every table `user` may see, session tables first (by session), then global ones.
    public func visibleTables(user: String, isAdmin: Bool) async -> [VisibleTable] {
        var out: [VisibleTable] = []
        for s in await sessions.all().sorted(by: { $0.created < $1.created })
        where AccessControl.mayManageSession(owner: s.user, user: user, isAdmin: isAdmin) {
            out += await s.allTables.map { VisibleTable(table: $0, session: s.id) }
        }
        for t in await globals.all() where await mayReadInfo(t, user: user, isAdmin: isAdmin) {
            out.append(VisibleTable(table: t, session: nil))
        }
        return out
    }

    /// Whether `user` may see the global table `key` now (ReadInfo, as `visibleTables` decides): the monitor's event
    /// stream names a global table only then. An administrator may; anyone else not once the table is gone.
    public func mayReadInfo(globalTable key: TableKey, user: String, isAdmin: Bool) async -> Bool {
        if isAdmin { return true }
        guard let t = await globals.table(key) else { return false }
        return await mayReadInfo(t, user: user, isAdmin: isAdmin)
    }

    /// ReadInfo on a global table, through `AccessControl`; a table whose caslib the user cannot name
    /// (another user's personal caslib) is not theirs to see. A failed check shows nothing.
    func mayReadInfo(_ t: CASTable, user: String, isAdmin: Bool) async -> Bool {
        if isAdmin { return true }
        guard let lib = await caslib(named: t.caslib, user: user, session: nil) else { return false }
        return (try? await access.allowed(.readInfo, user: user, isAdmin: isAdmin, on: .table(lib, t))) == true
    }
}

/// A caslib a user may see outside an action (the web monitor).
public struct VisibleCaslib: Sendable {
    public var caslib: Caslib
    /// The session that added it (`addCaslib session=True`); nil for the built-in and global caslibs.
    public var session: String?
}

extension ServerContext {
    /// The global caslibs `user` has ReadInfo on (an administrator: every one), in name order. The global part of
    /// what `table.caslibInfo` lists.
    public func readableGlobalCaslibs(user: String, isAdmin: Bool) async throws(ActionError) -> [Caslib] {
        var out: [Caslib] = []
        for c in await globalCaslibs.all() where try await access.allowed(.readInfo, user: user, isAdmin: isAdmin, on: .caslib(c)) {
            out.append(c)
        }
        return out
    }

    /// Every caslib `user` may see: their `CASUSER` and `Public`, the global caslibs they have ReadInfo on, and the
    /// session caslibs of the sessions they may manage (`AccessControl.mayManageSession`). A failed check shows nothing more.
    public func visibleCaslibs(user: String, isAdmin: Bool) async -> [VisibleCaslib] {
        var out = caslibs.builtins(for: user).map { VisibleCaslib(caslib: $0, session: nil) }
        let builtinNames = Set(out.map { $0.caslib.name.uppercased() })
        let globals = (try? await readableGlobalCaslibs(user: user, isAdmin: isAdmin)) ?? []
        out += globals.filter { !builtinNames.contains($0.name.uppercased()) }.map { VisibleCaslib(caslib: $0, session: nil) }
        for s in await sessions.all().sorted(by: { $0.created < $1.created })
        where AccessControl.mayManageSession(owner: s.user, user: user, isAdmin: isAdmin) {
            out += await s.sessionCaslibs.map { VisibleCaslib(caslib: $0, session: s.id) }
        }
        return out
    }

    /// The caslib a table of `session` (nil: a global table) names, as that session's user resolves it: a session
    /// caslib, the user's built-in ones, or a global one.
    public func caslib(named name: String, user: String, session: Session?) async -> Caslib? {
        if let s = session, let c = await s.caslib(name) { return c }
        if let b = caslibs.builtins(for: user).first(where: { $0.name.uppercased() == name.uppercased() }) { return b }
        return await globalCaslibs.caslib(name)
    }
}
