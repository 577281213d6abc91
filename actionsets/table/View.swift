import CASCore
import CASWire

/// `table.view`: a table made from another one's rows as its reference selects them — `computedVars`,
/// `where` and `vars` applied (swat's `CASTable.to_view`, which its `datastep`, `merge` and `concat`
/// call). caslite computes the view when it is created: a snapshot, not a live view, so later changes to
/// the source table do not show in it. A view of several tables (CAS joins them) is refused.
struct View: Action {
    static let name = "view"
    static let summary = "Creates a view: the rows and columns a table reference selects, with its computed columns (computed when created)."
    static let viewName = P.string("name", "Name of the view.").with { $0.isTableName = true }
    static let caslib = P.caslib("caslib", "Caslib of the view; the active caslib when omitted.")
    static let tables = P.groupList("tables", "The table the view selects from (one; computedVars, where and vars apply).", TableRef.Keys.self,
                                    required: true)
    static let replace = P.bool("replace", "Replace an existing table or view of that name.", default: false)
    static let promote = P.bool("promote", "Give the view global scope.", default: false)
    static let parameters = [viewName.spec, caslib.spec, tables.spec, replace.spec, promote.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let refs = args[tables].map(TableRef.init)
        guard refs.count == 1, let ref = refs.first else {
            throw ActionError(.parameterValue, "A view of \(refs.count) tables is not supported: caslite makes views of one table (CAS joins several on keys).",
                              parameter: "tables")
        }
        try Names.check(args[viewName], .table, parameter: "name")
        let source = try await ctx.filteredTable(ref, parameter: "tables[1]")
        var data = source.data
        data.label = ""
        let out = OutTableRef(name: args[viewName], caslib: args[caslib], replace: args[replace], promote: args[promote])
        let stored = try await ctx.store(data, out: out, defaultName: args[viewName], parameter: "", sourceName: source.sourceName,
                                         sourceCaslib: source.sourceCaslib)
        ctx.note("View \(stored.name) in caslib \(stored.caslib) holds \(stored.rowCount) rows of \(source.name) (computed now: a snapshot).")
        return ["caslib": .string(stored.caslib), "viewName": .string(stored.name)]
    }
}
