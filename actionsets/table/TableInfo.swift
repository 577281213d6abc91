import CASCore
import CASWire

/// `table.tableInfo`: the tables of a caslib (session and global scope) with sizes and times.
struct TableInfo: Action {
    static let name = "tableInfo"
    static let summary = "Shows the tables in a caslib (or one table): rows, columns, scope, creation and modification times."
    static let scaleOut = ScaleOut.metadata
    static let tableName = P.optionalString("name", "Only this table.").with { $0.isTableName = true }.aliases("table")
    static let caslib = P.caslib()
    static let parameters = [tableName.spec, caslib.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        // session tables, then the global tables the caller has ReadInfo on
        var tables = await ctx.tables(in: lib)
        if let n = args[tableName] {
            tables = tables.filter { $0.name.uppercased() == n.uppercased() }
            if tables.isEmpty { throw ActionError.notFound("Table '\(n)' does not exist in caslib \(lib.name).", parameter: "name") }
        }
        if tables.isEmpty {
            ctx.note("No tables are available in caslib \(lib.name) of caslite.")
            return ValueDict()
        }
        let rows: [[Value]] = tables.map { t in
            // CAS reports table names upper-case; DLPy's fit looks its weights table up that way and
            // otherwise trains from scratch without saying so
            [.string(t.name.uppercased()), .int(Int64(t.rowCount)), .int(Int64(t.data.columns.count)), .string(t.data.label),
             .string(Session.isoStamp(t.created)), .string(Session.isoStamp(t.modified)), .double(t.created), .double(t.modified),
             .int(t.isGlobal ? 1 : 0), .string(t.sourceName), .string(t.sourceCaslib), .string(t.creator)]
        }
        return ["TableInfo": .table(.result("TableInfo", label: "Tables in \(lib.name)", columns: [
            ("Name", .varchar), ("Rows", .int64), ("Columns", .int64), ("Label", .varchar), ("CreateTimeFormatted", .varchar),
            ("ModTimeFormatted", .varchar), ("CreateTime", .double), ("ModTime", .double), ("Global", .int32),
            ("SourceName", .varchar), ("SourceCaslib", .varchar), ("Creator", .varchar),
        ], rows: rows))]
    }
}
