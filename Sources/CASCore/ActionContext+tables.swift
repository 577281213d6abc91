import CASWire

/// The table gate: every read, write, drop and promote of an in-memory table goes through these
/// functions, which apply the access controls (`AccessControl`) and the name rules (`Names`).
extension ActionContext {
    /// Whether the caller has the administrator role.
    public var isAdmin: Bool { session.isAdmin }

    /// Every caslib this session can name and see: its session caslibs, `CASUSER(<user>)`, `Public`, and
    /// the global caslibs it has ReadInfo on.
    public func visibleCaslibs() async throws(ActionError) -> [Caslib] {
        let builtins = server.caslibs.builtins(for: user)
        let globals = try await server.readableGlobalCaslibs(user: user, isAdmin: isAdmin)
        return await session.sessionCaslibs + builtins + globals
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
        let names = ((try? await visibleCaslibs()) ?? builtins).map(\.name) + ["CASUSER"]
        throw ActionError(.notFound, NearMiss.doesNotExist("Caslib", n, among: names), parameter: "caslib")
    }

    /// Finds a table: session scope first, then global; a global table needs `permission` (Select to
    /// read rows, ReadInfo for metadata only). A global table the caller may not even see is reported
    /// as missing, like one that does not exist. A distributed table (`serve --mpi`) comes back with its rows
    /// gathered from the workers unless `rows` is false (then `data` holds its metadata only, `parts` where its rows are).
    public func table(_ ref: TableRef, parameter: String = "table", for permission: Permission = .select,
                      rows: Bool = true) async throws(ActionError) -> CASTable {
        let lib = try await caslib(ref.caslib)
        let key = TableKey(caslib: lib.name, name: ref.name)
        if let t = await session.table(key) { return rows ? try await materialized(t) : t }
        if let t = await server.globals.table(key) {
            if try await allowed(.readInfo, on: .table(lib, t)) {
                try await require(permission, on: .table(lib, t), parameter: "\(parameter).name")
                return rows ? try await materialized(t) : t
            }
        }
        let names = await tables(in: lib).map(\.name)
        throw ActionError(.notFound, NearMiss.doesNotExist("Table", ref.name, in: "caslib \(lib.name)", among: names),
                          parameter: "\(parameter).name")
    }

    /// `t` with its rows in `data`: a distributed table's gathered from the workers (the same table, in the same row
    /// order, as was stored). The gathered copy is covered by the table's charge, as one process's actions read the
    /// stored table's columns without a charge of their own (so a table that could be stored can be read).
    public func materialized(_ t: CASTable) async throws(ActionError) -> CASTable {
        guard let parts = t.parts, let cluster = server.cluster else { return t }
        var out = t
        let schema = t.data
        out.data = try await Blocking.run { () throws(ActionError) -> DataTable in try cluster.gather(parts, schema: schema, rows: nil) }
        out.parts = nil
        return out
    }

    /// The reference's table when an action can run on the workers' blocks of it instead of gathering its rows: a
    /// distributed table (`serve --mpi`) read without computed columns or by-groups. Its `data` holds the columns
    /// (after the reference's `vars`) and no rows; its `where` is checked here, so a bad one is the same error as on
    /// one process. Nil: read the rows as usual (`filteredTable`, `perByGroup`).
    public func distributedTable(_ ref: TableRef, parameter: String = "table") async throws(ActionError) -> CASTable? {
        guard server.cluster != nil, ref.groupBy.isEmpty, ref.computedVars.isEmpty, (ref.computedVarsProgram ?? "").trimmingSpaces.isEmpty
        else { return nil }
        var t = try await table(ref, parameter: parameter, for: .select, rows: false)
        guard t.parts != nil else { return nil }
        if let w = ref.whereClause, !w.trimmingSpaces.isEmpty {
            do { _ = try WhereExpression(w).bind(to: t.data) } catch {
                throw ActionError(.parameterValue, "\(parameter).where: \(error)", parameter: "\(parameter).where")
            }
        }
        t.data = try selectVars(ref, of: t.data, parameter: parameter)
        return t
    }

    /// A window of the reference's rows in stored order when its table is distributed and read without computed
    /// columns, `where` or by-groups: only the rows of `window(total rows)` come from the workers holding them (the
    /// reference's `vars` applied). Nil: read the table as usual. `table.fetch` without sortBy (swat's `head()`).
    public func distributedRows(_ ref: TableRef, parameter: String = "table",
                                window: (Int) throws(ActionError) -> Range<Int>) async throws(ActionError) -> (rows: DataTable, total: Int, window: Range<Int>)? {
        guard (ref.whereClause ?? "").trimmingSpaces.isEmpty, try await distributedTable(ref, parameter: parameter) != nil,
              let cluster = server.cluster else { return nil }
        let stored = try await table(ref, parameter: parameter, for: .select, rows: false)
        guard let parts = stored.parts else { return nil }
        let range = try window(parts.rowCount)
        let schema = stored.data
        try reserve(parts.bytes / Swift.max(parts.rowCount, 1) * range.count, for: "rows \(range.lowerBound + 1) to \(range.upperBound) of table \(stored.name)")
        let rows = try await Blocking.run { () throws(ActionError) -> DataTable in try cluster.gather(parts, schema: schema, rows: range) }
        return (try selectVars(ref, of: rows, parameter: parameter), parts.rowCount, range)
    }

    /// The first `count` rows of the reference's rows (its `where` and `vars` applied) in the order of `keys`
    /// (column names of the reference's columns, descending or not), when its table is distributed and read without
    /// computed columns or by-groups: each worker sorts its block and sends only its first `count`; a k-way merge of
    /// those sorted runs, ties to the earlier block, gives one process's order (ties in stored order). Fewer than `count`
    /// rows: they are all the reference's rows. Nil: read the table as usual. `table.fetch` with sortBy.
    public func distributedTop(_ ref: TableRef, parameter: String = "table", keys: [(name: String, descending: Bool)],
                               count: Int) async throws(ActionError) -> DataTable? {
        guard !keys.isEmpty, let t = try await distributedTable(ref, parameter: parameter), let parts = t.parts, server.cluster != nil else { return nil }
        let stored = try await table(ref, parameter: parameter, for: .select, rows: false)
        var named: [Column] = []
        for k in keys {
            guard let c = stored.data.column(k.name) else { return nil }
            named.append(c)
        }
        let perBlock = Swift.min(count, parts.blocks.map(\.rows).max() ?? 0)
        let candidates = perBlock.multipliedReportingOverflow(by: parts.blocks.count)
        try reserve(candidates.overflow ? Int.max : parts.bytes / Swift.max(parts.rowCount, 1) * candidates.partialValue,
                    for: "the first \(perBlock) sorted rows of each of the \(parts.blocks.count) blocks of table \(stored.name)")
        var args = PartitionKernel.arguments(columns: named)
        args["descending"] = .list(keys.map { .bool($0.descending) })
        args["count"] = .int(Int64(perBlock))
        let partials = try await onWorkers(t, ref, .topRows, args: args)
        var all = stored.data.schemaOnly, runs: [Range<Int>] = []
        for p in partials {
            guard p.columns.count == all.columns.count, zip(p.columns, all.columns).allSatisfy({ $0.type == $1.type }) else {
                throw ActionError(.internalError, "a worker's sorted rows of table \(stored.name) have other columns")
            }
            runs.append(all.rowCount..<(all.rowCount + p.rowCount))
            for i in all.columns.indices { all.columns[i].data.append(contentsOf: p.columns[i].data) }
        }
        var sortKeys: [SortKey] = []
        for k in keys { if let i = all.columnIndex(k.name) { sortKeys.append(SortKey(column: i, descending: k.descending)) } }
        // each worker's rows come sorted: a k-way merge of the runs, ties to the earlier block (one process's order)
        let order = all.mergedRuns(runs, by: sortKeys, limit: count)
        return try selectVars(ref, of: all.gather(order), parameter: parameter)
    }

    /// Runs `kernel` with `args` (and `payload`: a model's layers and weights) on every worker's block of `t` (from
    /// `distributedTable`; the reference's `where` applied there): the partial results, one per block, for the
    /// action to combine.
    public func onWorkers(_ t: CASTable, _ ref: TableRef, _ kernel: PartitionKernel, args: ValueDict,
                          payload: [UInt8] = []) async throws(ActionError) -> [DataTable] {
        guard let parts = t.parts, let cluster = server.cluster else { throw ActionError(.internalError, "\(kernel.name): table \(t.name) is not distributed") }
        let w = ref.whereClause.flatMap { $0.trimmingSpaces.isEmpty ? nil : $0 }
        try checkCancellation()
        return try await Blocking.run { () throws(ActionError) -> [DataTable] in
            try cluster.run(kernel.name, args: args, whereClause: w, on: parts, payload: payload)
        }
    }

    /// Runs keeping `kernel` (`PartitionKernel(_:keeping:)`) on every worker's block of `t` (from `distributedTable`;
    /// the reference's `where` applied there), block k's with `payloads[k]`: the blocks of a new table, kept on the
    /// workers (store it with `store(_:kept:…)`), and each block's summary.
    public func keptOnWorkers(_ t: CASTable, _ ref: TableRef, _ kernel: PartitionKernel, args: ValueDict,
                              payloads: [[UInt8]] = []) async throws(ActionError) -> KeptRows {
        guard let parts = t.parts, let cluster = server.cluster else { throw ActionError(.internalError, "\(kernel.name): table \(t.name) is not distributed") }
        let w = ref.whereClause.flatMap { $0.trimmingSpaces.isEmpty ? nil : $0 }
        try checkCancellation()
        return try await Blocking.run { () throws(ActionError) -> KeptRows in
            try cluster.runKeeping(kernel.name, args: args, whereClause: w, on: parts, payloads: payloads)
        }
    }

    /// Runs `kernel` on every worker — on its block of `t` (the reference's `where` applied), or on none of its rows
    /// — with `payload` sent along, while `alongside` runs on the controller; they take part in the same collectives
    /// (data-parallel training, `TableCluster.runCollective`). The kernels' results in worker order.
    public func collectively(_ t: CASTable, _ ref: TableRef, _ kernel: PartitionKernel, args: ValueDict, payload: [UInt8],
                             alongside: @escaping @Sendable (any Collectives) throws(ActionError) -> Void) async throws(ActionError) -> [DataTable] {
        guard let parts = t.parts, let cluster = server.cluster else { throw ActionError(.internalError, "\(kernel.name): table \(t.name) is not distributed") }
        let w = ref.whereClause.flatMap { $0.trimmingSpaces.isEmpty ? nil : $0 }
        let schema = t.data.schemaOnly
        try checkCancellation()
        if cluster.collectiveRunning {
            note("Waiting for another data-parallel training to end: one runs on the workers at a time (this call starts when it does).")
        }
        return try await Blocking.run { () throws(ActionError) -> [DataTable] in
            try cluster.runCollective(kernel.name, args: args, whereClause: w, on: parts, schema: schema, payload: payload, alongside: alongside)
        }
    }

    /// The tables of a caslib the caller can see: its session tables, then the global tables it has ReadInfo on.
    public func tables(in lib: Caslib) async -> [CASTable] {
        var out = await session.tables(in: lib.name)
        let mine = Set(out.map { $0.name.uppercased() })
        for t in await server.globals.list(caslib: lib.name) where !mine.contains(t.name.uppercased()) {
            if (try? await allowed(.readInfo, on: .table(lib, t))) == true { out.append(t) }
        }
        return out
    }

    /// A table with the reference's `computedVars`, `where` and `vars` applied (`groupBy` is not: see `byGroups`).
    public func filteredTable(_ ref: TableRef, parameter: String = "table", for permission: Permission = .select) async throws(ActionError) -> CASTable {
        var t = try await rowsTable(ref, parameter: parameter, for: permission)
        t.data = try selectVars(ref, of: t.data, parameter: parameter)
        return t
    }

    /// Runs `body` on the reference's table — once per by-group when it has `groupBy`, with the
    /// group's rows, and then the results are CAS's by-group layout (`ByGroups.results`). A group's
    /// table keeps the by-variables after the `vars` selection; `body` receives them as its second argument.
    public func perByGroup(_ ref: TableRef, parameter: String = "table",
                           _ body: (CASTable, [String]) async throws -> ValueDict) async throws -> ValueDict {
        guard !ref.groupBy.isEmpty else { return try await body(filteredTable(ref, parameter: parameter), []) }
        let (groups, perGroup) = try await eachByGroup(ref, parameter: parameter, limit: Limits.maxByGroups) { t, by, _ in try await body(t, by) }
        return groups.results(perGroup)
    }

    /// `perByGroup` for the statistics actions that also write CAS's casOut form (swat uses it above
    /// `cas.dataset.bygroup_casout_threshold` by-groups): without `casOut` the results as `perByGroup` gives them;
    /// with it, result table `result` of every group stacked into one table, each row after the by-variables' raw and
    /// formatted (`<name>_f`) values, result column `X` named `_X_` unless `names` says otherwise. `optional`
    /// columns are left out when no row has a value (CAS writes `_Charvar_` only for character inputs: swat tells
    /// the kinds apart by it). Any number of groups; the output is charged to the session's memory as it grows.
    /// Answers `OutputCasTables`.
    public func perByGroup(_ ref: TableRef, casOut: OutTableRef?, result: String, names: [String: String] = [:],
                           optional: Set<String> = [], parameter: String = "table",
                           _ body: (CASTable, [String]) async throws -> ValueDict) async throws -> ValueDict {
        guard let casOut else { return try await perByGroup(ref, parameter: parameter, body) }
        func tableOf(_ r: ValueDict) throws(ActionError) -> DataTable {
            guard case .table(let t)? = r[result] else { throw ActionError(.internalError, "no \(result) table to write to casOut") }
            return t
        }
        var out: DataTable, byCount = 0
        if ref.groupBy.isEmpty {
            out = try tableOf(try await body(filteredTable(ref, parameter: parameter), []))
        } else {
            var stack = ByGroups.Stack()
            let (groups, _) = try await eachByGroup(ref, parameter: parameter, limit: nil) { t, by, group in
                let table = try tableOf(try await body(t, by))
                // the group's rows as the stacked table holds them (by-variables: about 32 bytes a cell more), twice: the
                // arrays grow by doubling
                try reserve(2 * (table.estimatedBytes + table.rowCount * 32 * 2 * ref.groupBy.count), for: "the casOut table of \(result)")
                try stack.append(group, table)
                return [:]
            }
            out = stack.table.columns.isEmpty ? DataTable(name: result) : stack.table
            byCount = 2 * groups.variables.count
        }
        out.columns = out.columns.enumerated().compactMap { i, c in
            guard i >= byCount else { return c }
            if optional.contains(c.name), (0..<c.data.count).allSatisfy({ c.data.value(at: $0).isNull }) { return nil }
            var renamed = c
            renamed.name = names[c.name] ?? "_\(c.name)_"
            renamed.label = ""
            return renamed
        }
        out.attributes = [:]
        let stored = try await store(out, out: casOut, defaultName: result)
        return ["OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// Runs `body` on each by-group's rows of `ref` (more than `limit` groups is an error naming table.groupBy).
    func eachByGroup(_ ref: TableRef, parameter: String, limit: Int?,
                     _ body: (CASTable, [String], ByGroups.Group) async throws -> ValueDict) async throws -> (ByGroups, [ValueDict]) {
        var t = try await rowsTable(ref, parameter: parameter, for: .select)
        let all = t.data
        let groups = try await Blocking.run { () throws(ActionError) -> ByGroups in try ByGroups(all, by: ref.groupBy, parameter: "\(parameter).groupBy") }
        if let limit, groups.rows.count > limit { throw Self.tooManyGroups(groups.rows.count, limit: limit, parameter: parameter) }
        let byNames = groups.variables.map(\.name)
        let selected = Self.withByVariables(ref, byNames)
        let columns = try selectVars(selected, of: all, parameter: parameter)
        var perGroup: [ValueDict] = []
        for (g, rows) in groups.rows.enumerated() {
            try checkCancellation()
            t.data = columns.gather(rows)
            let r = try await body(t, byNames, ByGroups.Group(groups: groups, index: g))
            if !r.isEmpty { perGroup.append(r) }
        }
        return (groups, perGroup)
    }

    static func tooManyGroups(_ count: Int, limit: Int, parameter: String) -> ActionError {
        ActionError(.parameterValue, "\(parameter).groupBy forms \(count) by-groups; an action answers with at most "
                    + "\(limit). Group by fewer values, narrow the rows with where, write the statistics to a table with "
                    + "casOut=, or compute them with fedSql.execDirect (GROUP BY … with casOut).", parameter: "\(parameter).groupBy")
    }

    /// The reference with the by-variables added to its `vars` (when it names any): a group's table keeps them.
    static func withByVariables(_ ref: TableRef, _ byNames: [String]) -> TableRef {
        var selected = ref
        if !ref.vars.isEmpty { selected.vars += byNames.filter { b in !ref.vars.contains { $0.lowercased() == b.lowercased() } } }
        return selected
    }

    /// The reference's table when an action can run on the workers' blocks of it by-group: a distributed table read
    /// with `groupBy` and without computed columns. Its `data` holds the columns (the reference's `vars` and the
    /// by-variables) and no rows. Nil: read the rows as usual (`perByGroup`).
    public func distributedByGroupTable(_ ref: TableRef, parameter: String = "table") async throws(ActionError) -> CASTable? {
        guard server.cluster != nil, !ref.groupBy.isEmpty else { return nil }
        var plain = ref
        plain.groupBy = []
        plain.vars = []
        guard var t = try await distributedTable(plain, parameter: parameter) else { return nil }
        let groups = try ByGroups(t.data, by: ref.groupBy, parameter: "\(parameter).groupBy")   // the by-variables exist
        t.data = try selectVars(Self.withByVariables(ref, groups.variables.map(\.name)), of: t.data, parameter: parameter)
        return t
    }

    /// Runs `kernel` on every by-group of every worker's block of `t` (from `distributedByGroupTable`; the reference's
    /// `where` applied there): the groups of the whole table, and each group's partial results in block order. More
    /// groups than an action answers is the one-process error.
    public func onWorkersByGroup(_ t: CASTable, _ ref: TableRef, _ kernel: PartitionKernel, args: ValueDict,
                                 parameter: String = "table") async throws(ActionError) -> (ByGroups, [[DataTable]]) {
        var withBy = args
        withBy[PartitionKernel.byGroupsArgument] = .list(ref.groupBy.map { .string($0) })
        let replies = try await onWorkers(t, ref, kernel, args: withBy)
        // every block's groups (their by-values, one row each) end to end, then grouped again: the whole table's groups
        var combos = DataTable(name: t.name), partials: [DataTable] = []
        for r in replies {
            guard let cells = r.column(PartitionKernel.partialColumn), case .varbinary(let bytes) = cells.data, r.columns.count >= 2 else {
                throw ActionError(.internalError, "\(kernel.name): a worker's by-group partials are unreadable")
            }
            let by = Array(r.columns.dropLast())
            if combos.columns.isEmpty { combos.columns = by.map { Column(name: $0.name, label: $0.label, format: $0.format, data: .empty($0.type)) } }
            guard by.count == combos.columns.count, zip(by, combos.columns).allSatisfy({ $0.type == $1.type }) else {
                throw ActionError(.internalError, "\(kernel.name): a worker's by-variables differ")
            }
            for (i, c) in by.enumerated() { combos.columns[i].data.append(contentsOf: c.data) }
            for b in bytes {
                guard let b, let p = try? DataTable(binary: b) else { throw ActionError(.internalError, "\(kernel.name): a worker's partial is unreadable") }
                partials.append(p)
            }
        }
        let all = combos
        let groups = try await Blocking.run { () throws(ActionError) -> ByGroups in
            try ByGroups(all, by: all.columns.map(\.name), parameter: "\(parameter).groupBy")
        }
        if groups.rows.count > Limits.maxByGroups { throw Self.tooManyGroups(groups.rows.count, limit: Limits.maxByGroups, parameter: parameter) }
        return (groups, groups.rows.map { $0.map { partials[$0] } })
    }

    /// The reference's table with `computedVars` and `where` applied: the rows an action reads.
    func rowsTable(_ ref: TableRef, parameter: String, for permission: Permission) async throws(ActionError) -> CASTable {
        // computing columns or filtering reads rows, whatever the caller asked for
        var t = try await table(ref, parameter: parameter, for: ref.readsRows ? .select : permission)
        if !ref.computedVars.isEmpty || !(ref.computedVarsProgram ?? "").trimmingSpaces.isEmpty {
            let data = t.data
            let (names, program) = (ref.computedVars, ref.computedVarsProgram ?? "")
            t.data = try await Blocking.run { () throws(ActionError) -> DataTable in
                try ComputedVars.apply(program, declared: names, to: data, parameter: parameter) { (bytes: Int) throws(ActionError) in
                    try self.reserve(bytes, for: "the computed columns of \(parameter)")
                }
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
        return t
    }

    /// `data` with only the reference's `vars` (all columns when it has none).
    func selectVars(_ ref: TableRef, of data: DataTable, parameter: String) throws(ActionError) -> DataTable {
        guard !ref.vars.isEmpty else { return data }
        var t = data
        var cols: [Column] = []
        for v in ref.vars {
            guard let c = data.column(v) else { throw ActionError.missingColumn(v, in: data, parameter: "\(parameter).vars") }
            cols.append(c)
        }
        t.columns = cols
        return t
    }

    /// Stores `data` per `out` (name defaulting to `defaultName`): a session table, or a global one
    /// with `promote`. Honours `replace`. Replacing a global table needs Update on it (it keeps its
    /// owner and access controls); adding one needs Promote on the caslib (LimitedPromote suffices for a
    /// table loaded from that caslib). The table's memory is charged to the budget first; what the call
    /// reserved while building it is given back then (the table is the memory it reserved).
    @discardableResult
    /// `ifModified`: store only over the table the caller read (its `modified` time), atomically (Session.put,
    /// GlobalCatalog.put); a table replaced in between is kept and this store fails.
    /// `kept`: the rows are already on the workers (`keptOnWorkers`; `data` holds the columns only).
    public func store(_ data: DataTable, kept: TableParts? = nil, out: OutTableRef, defaultName: String, parameter: String = "casOut",
                      sourceName: String = "", sourceCaslib: String = "", ifModified: Double? = nil) async throws(ActionError) -> CASTable {
        // `parameter` is the output parameter list (`casOut`); empty: the action takes its fields at the top level
        // (`table.addTable`: table, caslib, replace, promote), so errors name those
        func field(_ f: String) -> String { parameter.isEmpty ? (f == "name" ? "table" : f) : "\(parameter).\(f)" }
        let lib = try await caslib(out.caslib)
        var d = data
        d.name = out.name ?? defaultName
        try Names.check(d.name, .table, parameter: field("name"))
        var seen = Set<String>()
        for c in d.columns {
            try Names.check(c.name, .column, parameter: parameter.isEmpty ? "vars" : parameter)
            // names are compared case-insensitively everywhere: two columns of one name could never both be read
            guard seen.insert(c.name.lowercased()).inserted else {
                throw ActionError(.parameterValue, "The table '\(d.name)' would have two columns named '\(c.name)' (names are compared without "
                                  + "regard to case); rename or drop one.", parameter: parameter.isEmpty ? "vars" : parameter)
            }
        }
        if let label = out.label { d.label = label }
        let key = TableKey(caslib: lib.name, name: d.name)
        let existingGlobal = await server.globals.table(key)
        let existingSession = await session.table(key)
        if !out.replace, existingSession != nil || existingGlobal != nil {
            throw ActionError(.alreadyExists, "Table '\(d.name)' already exists in caslib \(lib.name); use replace=True to overwrite it.",
                              parameter: field("replace"))
        }
        var t = CASTable(data: d, caslib: lib.name, creator: user, sourceName: sourceName, sourceCaslib: sourceCaslib)
        if let kept, let cluster = server.cluster, kept.rowCount > 0 {
            if out.promote {
                // global tables keep their rows on the controller
                let schema = d
                t.data = try await Blocking.run { () throws(ActionError) -> DataTable in try cluster.gather(kept, schema: schema, rows: nil) }
            } else {
                t.parts = kept
                t.data = d.schemaOnly
            }
        } else if !out.promote, let cluster = server.cluster, d.rowCount > 0 {
            // a session table's rows go to the workers (global tables stay on the controller: they persist to SQLite)
            let whole = d
            t.parts = try await Blocking.run { () throws(ActionError) -> TableParts in try cluster.distribute(whole) }
            t.data = d.schemaOnly
        }
        releaseReservations()
        guard out.promote else {
            try await session.put(t, ifModified: ifModified)
            return t
        }
        if let old = existingGlobal {
            try await require(.update, on: .table(lib, old), parameter: field("replace"))
            t.creator = old.creator
            t.created = old.created
        } else {
            try await requirePromote(into: lib, sourceCaslib: sourceCaslib, parameter: field("promote"))
        }
        try await server.globals.put(t, replace: out.replace, ifModified: ifModified)
        await session.drop(key)
        return t
    }

    /// Gives a session table global scope (`table.promote`); refuses to replace a global table.
    public func promote(_ key: TableKey, in lib: Caslib, as newName: String?, keepSessionCopy: Bool, parameter: String = "name") async throws(ActionError) -> CASTable {
        guard let stored = await session.table(key) else {
            throw ActionError.notFound("There is no session-scope table \(Names.quote(key.name)) in caslib \(lib.name).", parameter: parameter)
        }
        var t = try await materialized(stored)  // global tables keep their rows on the controller (they persist to SQLite)
        if let newName {
            try Names.check(newName, .table, parameter: "target")
            t.data.name = newName
        }
        guard lib.scope != .session else {
            throw ActionError(.parameterValue, "Caslib \(lib.name) has session scope; promote into a global caslib such as Public.", parameter: "caslib")
        }
        try await requirePromote(into: lib, sourceCaslib: t.sourceCaslib, parameter: parameter)
        try await server.globals.put(t, replace: false, as: .promoted)
        if !keepSessionCopy { await session.drop(key) }
        return t
    }

    /// Promote on the caslib, or LimitedPromote for a table whose source is that caslib.
    func requirePromote(into lib: Caslib, sourceCaslib: String, parameter: String) async throws(ActionError) {
        if try await server.access.mayPromote(into: lib, sourceCaslib: sourceCaslib, user: user, isAdmin: isAdmin) { return }
        try await require(.promote, on: .caslib(lib), parameter: parameter)  // refused: the error names Promote
    }

    /// Drops a table: the session-scope one if there is one, else the global one (DropTable on it).
    /// Nil when there is neither (or the caller may not see the global one).
    public func dropTable(_ name: String, in lib: Caslib, parameter: String = "name") async throws(ActionError) -> CASTable? {
        let key = TableKey(caslib: lib.name, name: name)
        if let t = await session.drop(key) { return t }
        guard let g = await server.globals.table(key), try await allowed(.readInfo, on: .table(lib, g)) else { return nil }
        try await require(.dropTable, on: .table(lib, g), parameter: parameter)
        return try await server.globals.drop(key)
    }
}
