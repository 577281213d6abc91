import CASCore
import CASWire

/// `table.addTable`: creates a table from typed rows sent inline — the way a client pushes data.
struct AddTable: Action {
    static let name = "addTable"
    static let summary = "Creates a table from rows sent inline, typed by a vars list."
    static let table = P.string("table", "Name of the new table.").with { $0.isTableName = true }
    static let caslib = P.caslib("caslib", "Caslib for the table; the active caslib when omitted.")
    /// One item of `vars`: a column definition.
    enum Var: ParamGroup {
        static let name = P.string("name", "Column name.")
        static let type = P.string("type", "Column type.", default: "double", allowed: ColumnType.allCases.map(\.rawValue))
        static let label = P.optionalString("label", "Column label.")
        static let format = P.optionalString("format", "Column format.")
        static let attributes = P.value("attributes", "Extended column attributes, e.g. {MIMEType=\"image/png\"}.")
        static let parameters = [name.spec, type.spec, label.spec, format.spec, attributes.spec]
    }
    static let vars = P.groupList("vars", "Columns, in row order.", Var.self, required: true)
    static let rows = P.valueList("rows", "Rows as lists of cells in vars order; null is a missing value; varbinary cells are {data=base64, length}.")
    static let label = P.optionalString("label", "Table label.")
    static let replace = P.bool("replace", "Replace an existing table of the same name.", default: false)
    static let promote = P.bool("promote", "Create the table with global scope (visible to other sessions, subject to access controls).", default: false)
    static let parameters = [table.spec, caslib.spec, vars.spec, rows.spec, label.spec, replace.spec, promote.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let defs = args[vars]
        guard !defs.isEmpty else { throw ActionError(.parameterValue, "Parameter 'vars' must list at least one column.", parameter: "vars") }
        var seen = Set<String>()
        var cols: [Column] = []
        for (i, v) in defs.enumerated() {
            let n = v[Var.name]
            guard seen.insert(n.lowercased()).inserted else {
                throw ActionError(.parameterValue, "Column '\(n)' appears twice in 'vars' (names are case-insensitive).", parameter: "vars[\(i + 1)].name")
            }
            cols.append(Column(name: n, label: v[Var.label] ?? "", format: v[Var.format] ?? "",
                               attributes: v[Var.attributes].dictValue ?? ValueDict(), data: .empty(ColumnType(name: v[Var.type])!)))
        }
        var t = DataTable(name: args[table], label: args[label] ?? "", columns: cols)
        for (r, row) in args[rows].enumerated() {
            guard let cells = row.listValue, cells.count == cols.count else {
                throw ActionError(.parameterValue, "Row \(r + 1) must be a list of \(cols.count) cells (one per var).", parameter: "rows[\(r + 1)]")
            }
            for (c, cell) in cells.enumerated() {
                try check(cell, cols[c], row: r)
                t.columns[c].data.append(cell)
            }
            if r % 65_536 == 65_535 { try ctx.checkCancellation() }
        }
        let out = OutTableRef(name: args[table], caslib: args[caslib], replace: args[replace], promote: args[promote])
        let stored = try await ctx.store(t, out: out, defaultName: args[table], parameter: "")
        ctx.note("Added table \(stored.name) to caslib \(stored.caslib) (\(stored.rowCount) rows).")
        return ["caslib": .string(stored.caslib), "tableName": .string(stored.name), "rows": .int(Int64(stored.rowCount)),
                "OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// Refuses cells that would silently become missing.
    static func check(_ v: Value, _ col: Column, row: Int) throws(ActionError) {
        if v.isNull { return }
        let ok: Bool
        switch col.type {
        case .double: ok = v.doubleValue != nil
        case .int64: ok = v.intValue != nil
        case .int32: ok = v.intValue.flatMap { Int32(exactly: $0) } != nil
        case .varchar: ok = v.stringValue != nil
        case .varbinary: ok = v.blobValue != nil
        }
        guard ok else {
            throw ActionError(.parameterType, "Row \(row + 1), column '\(col.name)': expected \(col.type.rawValue), got \(v.typeName) \(v.jsonString.prefix(40)).",
                              parameter: "rows[\(row + 1)]")
        }
    }
}
