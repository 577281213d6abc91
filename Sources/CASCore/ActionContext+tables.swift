import CASWire

extension ActionContext {
    /// Whether the caller has the administrator role.
    public var isAdmin: Bool { session.isAdmin }

    /// Every caslib this session can name: its session caslibs, `CASUSER(<user>)`, `Public`, global caslibs.
    public func visibleCaslibs() async -> [Caslib] {
        let builtins = server.caslibs.builtins(for: user)
        return await session.sessionCaslibs + builtins + server.globalCaslibs.all()
    }

    /// The caslib named `name`, or the session's active caslib. `casuser` names your personal caslib.
    public func caslib(_ name: String?) async throws(ActionError) -> Caslib {
        let n: String
        if let name { n = name } else { n = await session.activeCaslib }
        if let c = await session.caslib(n) { return c }
        let builtins = server.caslibs.builtins(for: user)
        let lower = n.lowercased()
        if lower == "casuser" || lower == builtins[0].name.lowercased() { return builtins[0] }
        if lower == "public" { return builtins[1] }
        if let c = await server.globalCaslibs.caslib(n) { return c }
        let names = await visibleCaslibs().map(\.name) + ["CASUSER"]
        throw ActionError(.notFound, NearMiss.doesNotExist("Caslib", n, among: names), parameter: "caslib")
    }

    /// Throws unless the caller has `permission` on the caslib (or on one of its global tables).
    public func require(_ permission: Permission, caslib: Caslib, table: CASTable? = nil, tableName: String? = nil,
                        parameter: String? = nil) async throws(ActionError) {
        let name = table?.name ?? tableName
        let ok = try await server.access.allowed(permission, user: user, isAdmin: isAdmin, caslib: caslib, table: name, tableOwner: table?.creator)
        guard ok else {
            let what = name.map { "table \($0) in caslib \(caslib.name)" } ?? "caslib \(caslib.name)"
            throw ActionError(.accessDenied, "User \(user) does not have \(permission.rawValue.capitalized) permission on \(what); its owner or an administrator can grant it with accessControl.updSomeAcsTable.",
                              parameter: parameter)
        }
    }

    /// Finds a table: session scope first, then global (DESIGN §4), checking Read permission on global tables.
    public func table(_ ref: TableRef, parameter: String = "table") async throws(ActionError) -> CASTable {
        let lib = try await caslib(ref.caslib)
        let key = TableKey(caslib: lib.name, name: ref.name)
        if let t = await session.table(key) { return t }
        if let t = await server.globals.table(key) {
            try await require(.read, caslib: lib, table: t, parameter: "\(parameter).name")
            return t
        }
        let names = await session.tables(in: lib.name).map(\.name) + server.globals.list(caslib: lib.name).map(\.name)
        throw ActionError(.notFound, NearMiss.doesNotExist("Table", ref.name, in: "caslib \(lib.name)", among: names), parameter: "\(parameter).name")
    }

    /// A table with the reference's `where` and `vars` applied.
    public func filteredTable(_ ref: TableRef, parameter: String = "table") async throws(ActionError) -> CASTable {
        var t = try await table(ref, parameter: parameter)
        if !ref.computedVars.isEmpty || !(ref.computedVarsProgram ?? "").trimmingSpaces.isEmpty {
            let data = t.data
            let (names, program) = (ref.computedVars, ref.computedVarsProgram ?? "")
            t.data = try await Blocking.run { () throws(ActionError) -> DataTable in
                try ComputedVars.apply(program, declared: names, to: data, parameter: parameter)
            }
        }
        if let w = ref.whereClause, !w.trimmingSpaces.isEmpty {
            let data = t.data
            let rows: [Int]
            do {
                rows = try await Blocking.run { () throws(WhereError) -> [Int] in try WhereExpression(w).bind(to: data).matchingRows() }
            } catch {
                throw ActionError(.parameterValue, "\(parameter).where: \(error)", parameter: "\(parameter).where")
            }
            t.data = t.data.gather(rows)
        }
        if !ref.vars.isEmpty {
            var cols: [Column] = []
            for v in ref.vars {
                guard let c = t.data.column(v) else { throw ActionError.missingColumn(v, in: t.data, parameter: "\(parameter).vars") }
                cols.append(c)
            }
            t.data.columns = cols
        }
        return t
    }

    /// Stores `data` per `out` (name defaulting to `defaultName`): a session table, or a global one
    /// with `promote`. Honours `replace`; replacing or adding global tables checks permissions.
    @discardableResult
    public func store(_ data: DataTable, out: OutTableRef, defaultName: String, parameter: String = "casOut",
                      sourceName: String = "", sourceCaslib: String = "") async throws(ActionError) -> CASTable {
        let lib = try await caslib(out.caslib)
        var d = data
        d.name = out.name ?? defaultName
        if let label = out.label { d.label = label }
        let key = TableKey(caslib: lib.name, name: d.name)
        let existingGlobal = await server.globals.table(key)
        let existingSession = await session.table(key)
        if !out.replace, existingSession != nil || existingGlobal != nil {
            throw ActionError(.alreadyExists, "Table '\(d.name)' already exists in caslib \(lib.name); use replace=True to overwrite it.",
                              parameter: "\(parameter).replace")
        }
        var t = CASTable(data: d, caslib: lib.name, creator: user, sourceName: sourceName, sourceCaslib: sourceCaslib)
        if out.promote {
            guard lib.scope != .session else {
                throw ActionError(.parameterValue, "Caslib \(lib.name) has session scope; a promoted table needs a global caslib such as Public.",
                                  parameter: "\(parameter).promote")
            }
            if let old = existingGlobal {
                try await require(.write, caslib: lib, table: old, parameter: "\(parameter).replace")
                t.creator = old.creator
                t.created = old.created
            } else {
                try await require(.promote, caslib: lib, tableName: d.name, parameter: "\(parameter).promote")
            }
            try await server.globals.put(t, replace: out.replace)
            await session.drop(key)
        } else {
            await session.put(t)
        }
        return t
    }
}
