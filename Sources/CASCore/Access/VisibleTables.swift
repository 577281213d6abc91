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

    /// ReadInfo on a global table, through `AccessControl`; a table whose caslib the user cannot name
    /// (another user's personal caslib) is not theirs to see. A failed check shows nothing.
    func mayReadInfo(_ t: CASTable, user: String, isAdmin: Bool) async -> Bool {
        if isAdmin { return true }
        let builtins = caslibs.builtins(for: user)
        let lib: Caslib?
        if let b = builtins.first(where: { $0.name.uppercased() == t.caslib.uppercased() }) { lib = b } else { lib = await globalCaslibs.caslib(t.caslib) }
        guard let lib else { return false }
        return (try? await access.allowed(.readInfo, user: user, isAdmin: isAdmin, on: .table(lib, t))) == true
    }
}
