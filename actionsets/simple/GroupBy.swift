import CASCore
import CASWire

/// `simple.groupBy`: the distinct combinations of the `inputs` columns' values, in CAS's group
/// order (ascending, missing first), with `_Frequency_`, their row count, as the `Groupby` table.
/// swat iterates over `tbl.groupby(…)` with it. `includeMissing=false` leaves out the combinations
/// that have a missing value.
struct GroupBy: Action {
    static let name = "groupBy"
    static let summary = "The distinct combinations of the values of the inputs columns, with their row counts."
    static let table = P.table()
    static let inputs = P.columns("inputs", "The columns whose value combinations are listed.", required: true)
    static let includeMissing = P.bool("includeMissing", "List combinations with a missing value too.", default: true)
    static let parameters = [table.spec, inputs.spec, includeMissing.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        try await ctx.perByGroup(args[table]) { t, _ in
            let groups = try ByGroups(t.data, by: args[inputs], parameter: "inputs")
            let kept = groups.keys.indices.filter { g in args[includeMissing] || !groups.keys[g].contains(.missing) }
            var out = DataTable(name: "Groupby", label: "Group By Information")
            out.columns = groups.valueColumns(of: t.data, groups: kept)
            out.columns.append(Column(name: "_Frequency_", data: .double(kept.map { Double(groups.rows[$0].count) })))
            return ["Groupby": .table(out)]
        }
    }
}
