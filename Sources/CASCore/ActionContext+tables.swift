import CASWire

extension ActionContext {
    /// The caslib named `name`, or the session's active caslib.
    public func caslib(_ name: String?) async throws(ActionError) -> Caslib {
        let n: String
        if let name { n = name } else { n = await session.activeCaslib }
        return try server.caslibs.caslib(n, for: user)
    }

    /// Finds a table: session scope first, then global (DESIGN §4).
    public func table(_ ref: TableRef, parameter: String = "table") async throws(ActionError) -> CASTable {
        let lib = try await caslib(ref.caslib)
        let key = TableKey(caslib: lib.name, name: ref.name)
        if let t = await session.table(key) { return t }
        if let t = await server.globals.table(key) { return t }
        var msg = "Table '\(ref.name)' does not exist in caslib \(lib.name)."
        let names = await session.tables(in: lib.name).map(\.name) + server.globals.list(caslib: lib.name).map(\.name)
        if let near = NearMiss.suggest(ref.name, among: names) { msg += " Did you mean '\(near)'?" }
        throw ActionError(.notFound, msg, parameter: "\(parameter).name")
    }

    /// A table with the reference's `where` and `vars` applied.
    public func filteredTable(_ ref: TableRef, parameter: String = "table") async throws(ActionError) -> CASTable {
        var t = try await table(ref, parameter: parameter)
        if let w = ref.whereClause, !w.trimmingSpaces.isEmpty {
            let rows: [Int]
            do {
                let bound = try WhereExpression(w).bind(to: t.data)
                rows = bound.matchingRows()
            } catch {
                throw ActionError(.parameterValue, "\(parameter).where: \(error)", parameter: "\(parameter).where")
            }
            t.data = t.data.gather(rows)
        }
        if !ref.vars.isEmpty {
            var cols: [Column] = []
            for v in ref.vars {
                guard let c = t.data.column(v) else {
                    var msg = "Column '\(v)' does not exist in table \(t.name)."
                    if let near = NearMiss.suggest(v, among: t.data.columns.map(\.name)) { msg += " Did you mean '\(near)'?" }
                    throw ActionError(.notFound, msg, parameter: "\(parameter).vars")
                }
                cols.append(c)
            }
            t.data.columns = cols
        }
        return t
    }

    /// Stores `data` as a session table per `out` (name defaulting to `defaultName`), honouring `replace`.
    @discardableResult
    public func store(_ data: DataTable, out: OutTableRef, defaultName: String, parameter: String = "casOut",
                      sourceName: String = "", sourceCaslib: String = "") async throws(ActionError) -> CASTable {
        let lib = try await caslib(out.caslib)
        var d = data
        d.name = out.name ?? defaultName
        if let label = out.label { d.label = label }
        let key = TableKey(caslib: lib.name, name: d.name)
        if !out.replace {
            let exists: Bool
            if await session.table(key) != nil { exists = true } else { exists = await server.globals.table(key) != nil }
            if exists {
                throw ActionError(.alreadyExists, "Table '\(d.name)' already exists in caslib \(lib.name); use replace=True to overwrite it.",
                                  parameter: "\(parameter).replace")
            }
        }
        let t = CASTable(data: d, caslib: lib.name, creator: user, sourceName: sourceName, sourceCaslib: sourceCaslib)
        if out.promote {
            try await server.globals.promote(t)
        } else {
            await session.put(t)
        }
        return t
    }
}
