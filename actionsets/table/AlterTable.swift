import CASCore
import CASWire

/// `table.alterTable`: renames a table, sets its label, renames, relabels, reformats, drops or reorders columns.
struct AlterTable: Action {
    static let name = "alterTable"
    static let summary = "Changes a table's name or label, and its columns' names, labels, formats, order, or drops columns."
    static let tableName = P.string("name", "Table to alter.").with { $0.isTableName = true }.aliases("table")
    static let caslib = P.caslib()
    static let rename = P.optionalString("rename", "New table name.")
    static let label = P.optionalString("label", "New table label.")
    /// One item of `columns`: the changes to one column.
    enum ColumnChange: ParamGroup {
        static let name = P.string("name", "Column to change.")
        static let rename = P.optionalString("rename", "New column name.")
        static let label = P.optionalString("label", "New column label.")
        static let format = P.optionalString("format", "New column format.")
        static let drop = P.bool("drop", "Drop the column.", default: false)
        static let parameters = [name.spec, rename.spec, label.spec, format.spec, drop.spec]
    }
    static let columns = P.groupList("columns", "Per-column changes.", ColumnChange.self)
    static let drop = P.stringList("drop", "Columns to drop.")
    static let keep = P.stringList("keep", "Columns to keep (all others are dropped).")
    static let columnOrder = P.stringList("columnOrder", "New column order (listed columns first).")
    static let parameters = [tableName.spec, caslib.spec, rename.spec, label.spec, columns.spec, drop.spec, keep.spec, columnOrder.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        let key = TableKey(caslib: lib.name, name: args[tableName])
        guard let stored = await ctx.session.table(key) else {
            throw ActionError.notFound("There is no session-scope table \(args[tableName]) in caslib \(lib.name).", parameter: "name")
        }
        var t = try await ctx.materialized(stored)  // its columns change: a distributed table's rows come back first
        var d = t.data
        func index(_ n: String, _ p: String) throws(ActionError) -> Int {
            guard let i = d.columnIndex(n) else { throw ActionError.missingColumn(n, in: d, parameter: p) }
            return i
        }
        var dropSet = Set<String>()
        for (k, c) in args[columns].enumerated() {
            let i = try index(c[ColumnChange.name], "columns[\(k + 1)].name")
            if let r = c[ColumnChange.rename] { d.columns[i].name = r }
            if let l = c[ColumnChange.label] { d.columns[i].label = l }
            if let f = c[ColumnChange.format] { d.columns[i].format = f }
            if c[ColumnChange.drop] { dropSet.insert(d.columns[i].name.lowercased()) }
        }
        for (k, n) in args[drop].enumerated() { dropSet.insert(d.columns[try index(n, "drop[\(k + 1)]")].name.lowercased()) }
        if !args[keep].isEmpty {
            var keepSet = Set<String>()
            for (k, n) in args[keep].enumerated() { keepSet.insert(d.columns[try index(n, "keep[\(k + 1)]")].name.lowercased()) }
            for c in d.columns where !keepSet.contains(c.name.lowercased()) { dropSet.insert(c.name.lowercased()) }
        }
        if !args[columnOrder].isEmpty {
            var first: [Column] = []
            for (k, n) in args[columnOrder].enumerated() { first.append(d.columns[try index(n, "columnOrder[\(k + 1)]")]) }
            let names = Set(first.map { $0.name.lowercased() })
            d.columns = first + d.columns.filter { !names.contains($0.name.lowercased()) }
        }
        d.columns.removeAll { dropSet.contains($0.name.lowercased()) }
        let names = d.columns.map { $0.name.lowercased() }
        guard Set(names).count == names.count else { throw ActionError(.parameterValue, "Renaming would give two columns the same name.", parameter: "columns") }
        if let l = args[label] { d.label = l }
        for (k, c) in d.columns.enumerated() { try Names.check(c.name, .column, parameter: "columns[\(k + 1)].rename") }
        var newKey = key
        if let r = args[rename] {
            try Names.check(r, .table, parameter: "rename")
            newKey = TableKey(caslib: lib.name, name: r)
            if newKey != key, await ctx.session.table(newKey) != nil {
                throw ActionError(.alreadyExists, "Table '\(r)' already exists in caslib \(lib.name).", parameter: "rename")
            }
            d.name = r
        }
        t.data = d
        t.modified = ServerClock.now
        try await ctx.session.put(t)  // stored under the new name before the old one goes: a refusal loses nothing
        if newKey != key { await ctx.session.drop(key) }
        ctx.note("Altered table \(t.name) in caslib \(lib.name).")
        return ValueDict()
    }
}
