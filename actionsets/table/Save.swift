import CASCore
import CASStorage
import CASWire

/// `table.save`: writes an in-memory table into its caslib's SQLite database, atomically.
struct Save: Action {
    static let name = "save"
    static let summary = "Saves a table into a caslib's SQLite database (every column type, label, format and attribute), atomically."
    static let table = P.table()
    static let saveName = P.optionalString("name", "Name of the saved table; the table's own name when omitted.")
    static let caslib = P.caslib("caslib", "Caslib to save into; the active caslib when omitted.")
    static let replace = P.bool("replace", "Overwrite a saved table of the same name.", default: false)
    static let parameters = [table.spec, saveName.spec, caslib.spec, replace.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.filteredTable(args[table])
        let lib = try await ctx.caslib(args[caslib])
        let saved = try await ctx.savedTables(in: lib, for: .write, parameter: "caslib")
        var renamed = t.data
        renamed.name = args[saveName] ?? t.name
        try Names.check(renamed.name, .table, parameter: "name")
        let data = renamed
        let meta = TableMeta(created: t.created, modified: ServerClock.now, creator: t.creator, sourceName: t.sourceName, sourceCaslib: t.sourceCaslib)
        let replace = args[replace]
        let rows = data.rowCount
        try await ctx.cpu {
            try saved.save(data, meta: meta, replace: replace) { n in
                try ctx.checkCancellation()
                ctx.progress(done: n, total: rows, unit: "rows", message: "saving \(data.name)")
            }
        }
        ctx.note("caslite saved the table \(data.name) in caslib \(lib.name) (\(rows) rows).")
        return ["caslib": .string(lib.name), "name": .string(data.name)]
    }
}
