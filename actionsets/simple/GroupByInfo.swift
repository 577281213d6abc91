import CASCore
import CASWire

/// `simple.groupByInfo`: the by-groups of `table.groupBy` written to an output table, one row per
/// group in CAS's group order (ascending, missing first): the by-variables (left out with
/// `noVars`) and `_Frequency_`, the group's row count. swat calls it (with `noVars=True`) to count
/// the groups before a grouped `mean()`, `max()` or `nunique()`. Without `casOut.name` the table gets
/// a fresh name `_GROUPBYINFO_<n>`; the result is `OutputCasTables`.
struct GroupByInfo: Action {
    static let name = "groupByInfo"
    static let summary = "Writes the by-groups of table.groupBy (their values and row counts) to an output table."
    static let table = P.table()
    static let casOut = P.outTable()
    static let noVars = P.bool("noVars", "Leave the by-variables' values out of the output table (only _Frequency_).", default: false)
    static let parameters = [table.spec, casOut.spec, noVars.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        var ref = args[table]
        guard !ref.groupBy.isEmpty else {
            throw ActionError(.parameterValue, "groupByInfo needs table.groupBy, the by-variables, e.g. table={name=\"t\", groupBy={\"zone\"}}.",
                              parameter: "table.groupBy")
        }
        ref.vars = []  // the by-variables must stay
        let t = try await ctx.filteredTable(ref)
        let groups = try ByGroups(t.data, by: ref.groupBy)
        var data = DataTable(name: "GroupByInfo")
        if !args[noVars] { data.columns = groups.valueColumns(of: t.data) }
        data.columns.append(Column(name: "_Frequency_", data: .double(groups.rows.map { Double($0.count) })))
        var out = args[casOut]
        if out.name == nil { out.name = try await freshName(ctx, out) }
        let stored = try await ctx.store(data, out: out, defaultName: "GroupByInfo")
        return ["OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// `_GROUPBYINFO_<n>` for the first n no table of the output caslib has.
    static func freshName(_ ctx: ActionContext, _ out: OutTableRef) async throws -> String {
        let taken = Set(await ctx.tables(in: try await ctx.caslib(out.caslib)).map { $0.name.uppercased() })
        var n = 1
        while taken.contains("_GROUPBYINFO_\(n)") { n += 1 }
        return "_GROUPBYINFO_\(n)"
    }
}
