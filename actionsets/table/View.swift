import CASCore
import CASWire

/// `table.view`: a table made from another one's rows as its reference selects them — `computedVars`,
/// `where` and `vars` applied (swat's `CASTable.to_view`, which its `datastep`, `merge` and `concat`
/// call). With several tables, the view holds their rows one table after the other, columns matched by
/// name (`TableConcatenation`), each table with its own options. caslite computes the view when it is
/// created: a snapshot, not a live view, so later changes to the source tables do not show in it.
struct View: Action {
    static let name = "view"
    static let summary = "Creates a view: the rows and columns a table reference selects, with its computed columns (computed when created)."
    static let viewName = P.string("name", "Name of the view.").with { $0.isTableName = true }
    static let caslib = P.caslib("caslib", "Caslib of the view; the active caslib when omitted.")
    static let tables = P.groupList("tables", "The tables the view selects from (computedVars, where and vars apply to each); several: their rows one after the other, columns matched by name.", TableRef.Keys.self,
                                    required: true)
    static let replace = P.bool("replace", "Replace an existing table or view of that name.", default: false)
    static let promote = P.bool("promote", "Give the view global scope.", default: false)
    static let parameters = [viewName.spec, caslib.spec, tables.spec, replace.spec, promote.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let refs = args[tables].map(TableRef.init)
        guard !refs.isEmpty else { throw ActionError(.parameterValue, "tables names no table; give one or more.", parameter: "tables") }
        try Names.check(args[viewName], .table, parameter: "name")
        var sources: [CASTable] = []
        for (k, ref) in refs.enumerated() { sources.append(try await ctx.filteredTable(ref, parameter: "tables[\(k + 1)]")) }
        if sources.count > 1 {   // the concatenation copies the tables' rows
            try ctx.reserve(sources.reduce(0) { $0 &+ $1.data.estimatedBytes }, for: "the view's rows")
        }
        let parts = sources.map(\.data)
        var data = try await ctx.cpu { () throws -> DataTable in try TableConcatenation.concatenate(parts, parameter: "tables") }
        data.label = ""
        let source = sources.count == 1 ? sources[0] : nil   // a view of several tables has no one source
        let out = OutTableRef(name: args[viewName], caslib: args[caslib], replace: args[replace], promote: args[promote])
        let stored = try await ctx.store(data, out: out, defaultName: args[viewName], parameter: "", sourceName: source?.sourceName ?? "",
                                         sourceCaslib: source?.sourceCaslib ?? "")
        ctx.note("View \(stored.name) in caslib \(stored.caslib) holds \(stored.rowCount) rows of \(sources.map(\.name).joined(separator: ", ")) (computed now: a snapshot).")
        return ["caslib": .string(stored.caslib), "viewName": .string(stored.name)]
    }
}
