import CASCore
import CASWire

/// `transpose.transpose`: PROC TRANSPOSE in CAS (docs/transpose.md). For each by-group of
/// `table.groupBy` (ascending, as CAS forms them) and each variable of `transpose`, one output row:
/// the by-variables, `_NAME_` (the variable's name), then one column per id value —
/// prefix + value + suffix, in the order the values first appear — holding the variable's value in
/// the group's row with that id. Without `id`, the columns are COL1, COL2, … (prefix1, …) by row
/// position in the group. A repeated id value in a group is CAS's error unless `let=True` (then the
/// last row wins, with a warning). The rules are `Transposition`'s; this file reads parameters.
struct Transpose: Action {
    static let name = "transpose"
    static let summary = "Transposes variables into columns named by an id variable's values (PROC TRANSPOSE), per by-group of table.groupBy."
    static let table = P.table("table", "The input table; its groupBy variables form the by-groups (one output row per group and transposed variable).")
    static let transpose = P.columns(
        "transpose", "The variables to transpose; every numeric column that is not a by-variable or id variable when omitted.")
    static let id = P.columns("id", "The variables whose values name the output columns (joined when several); COL1, COL2, … when omitted.")
    static let prefix = P.optionalString("prefix", "Text put before each id value in the output column names (COL without id).")
    static let suffix = P.optionalString("suffix", "Text put after each id value in the output column names.")
    static let nameColumn = P.string("name", "Name of the output column holding the transposed variable's name.", default: "_NAME_")
    static let letDuplicates = P.bool(
        "let", "Allow an id value to occur more than once in a by-group: the last row with it is transposed (with a warning). Without it, a repeated id value is an error.",
        default: false)
    static let casOut = P.outTable("casOut", "The transposed table.", required: true)
    static let parameters = [table.spec, transpose.spec, id.spec, prefix.spec, suffix.spec, nameColumn.spec, letDuplicates.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        var ref = args[table]
        let by = ref.groupBy
        ref.groupBy = []
        if !ref.vars.isEmpty { ref.vars += (by + args[id]).filter { n in !ref.vars.contains { $0.lowercased() == n.lowercased() } } }
        let t = try await ctx.filteredTable(ref)
        let spec = Transposition(by: by, variables: args[transpose], id: args[id], prefix: args[prefix], suffix: args[suffix],
                                 nameColumn: args[nameColumn], allowDuplicates: args[letDuplicates])
        let data = t.data
        let charge: @Sendable (Int) throws(ActionError) -> Void = { bytes throws(ActionError) in try ctx.reserve(bytes, for: "the transposed table") }
        let (out, duplicates) = try await ctx.cpu { () throws -> (DataTable, [String]) in
            try spec.run(data, check: { () throws(ActionError) in try ctx.checkCancellation() }, charge: charge)
        }
        for d in duplicates.prefix(20) { ctx.warning(d) }
        if duplicates.count > 20 { ctx.warning("\(duplicates.count - 20) more repeated id values were transposed from their last row.") }
        let stored = try await ctx.store(out, out: args[casOut], defaultName: "\(t.name)_transposed", sourceName: t.sourceName, sourceCaslib: t.sourceCaslib)
        ctx.note("The table \(stored.name) in caslib \(stored.caslib) has \(stored.rowCount) rows and \(stored.data.columns.count) columns.")
        return ["OutputCasTables": .table(.outputCasTables([stored]))]
    }
}
