import ActionSetSimple
import CASCore
import CASWire

/// `aggregation.aggregate`: `varSpecs` lists `{names={…}, agg="N"|"NMISS"|"SUM"|"MEAN"|"MIN"|"MAX"|"STD"|"VAR"}`;
/// the result is one `Aggregate` table with a row per column and a column per requested statistic
/// (per by-group with `table.groupBy`).
/// N and NMISS work on every column type; the others need numeric columns.
struct Aggregate: Action {
    static let name = "aggregate"
    static let summary = "Computes N, NMiss, Sum, Mean, Min, Max, Std or Var of the columns named in varSpecs."
    static let table = P.table()
    static let stats = ["N", "NMISS", "SUM", "MEAN", "MIN", "MAX", "STD", "VAR"]
    /// One item of `varSpecs`.
    enum VarSpec: ParamGroup {
        static let names = P.stringList("names", "Columns.")
        static let agg = P.string("agg", "The statistic.", allowed: stats)
        static let parameters = [names.spec, agg.spec]
    }
    static let varSpecs = P.groupList("varSpecs", "Columns and the statistic to compute for them.", VarSpec.self, required: true)
    static let parameters = [table.spec, varSpecs.spec]

    static let scaleOut = ScaleOut.partitionLocal
    static let columnNames = ["N": "N", "NMISS": "NMiss", "SUM": "Sum", "MEAN": "Mean", "MIN": "Min", "MAX": "Max", "STD": "Std", "VAR": "Var"]

    /// A statistic of a numeric column from its `ColumnStats` (simple.summary's).
    static func value(_ agg: String, _ s: ColumnStats) -> Double {
        switch agg {
        case "N": return Double(s.n)
        case "NMISS": return Double(s.nmiss)
        case "SUM": return s.n > 0 ? s.sum : .nan
        case "MEAN": return s.mean
        case "MIN": return s.min
        case "MAX": return s.max
        case "STD": return s.variance.squareRoot()
        default: return s.variance
        }
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if let t = try await ctx.distributedTable(args[table]) {
            // an MPI server's table: the statistics of every named column from the workers' blocks, merged here
            let named = try requests(t, args)
            var cols: [Column] = []
            for (c, _) in named where !cols.contains(where: { $0.name == c.name }) { cols.append(c) }
            let numeric = cols.filter(\.type.isNumeric), text = cols.filter { !$0.type.isNumeric }
            let stats = numeric.isEmpty ? [] : try await SpreadStatistics.columnStats(t, args[table], numeric, ctx)
            let counts = text.isEmpty ? [] : try await SpreadStatistics.counts(t, args[table], text, ctx)
            return table(t, named) { c, agg in spreadValue(c, agg, numeric, stats, text, counts) }
        }
        if let t = try await ctx.distributedByGroupTable(args[table]) {
            // by-groups too: each worker's groups merged group by group (the two kernels see the same groups)
            let named = try requests(t, args)
            var cols: [Column] = []
            for (c, _) in named where !cols.contains(where: { $0.name == c.name }) { cols.append(c) }
            let numeric = cols.filter(\.type.isNumeric), text = cols.filter { !$0.type.isNumeric }
            let stats = numeric.isEmpty ? nil : try await SpreadStatistics.columnStatsByGroup(t, args[table], numeric, ctx)
            let counts = text.isEmpty ? nil : try await SpreadStatistics.countsByGroup(t, args[table], text, ctx)
            guard let groups = stats?.0 ?? counts?.0 else { return try await ctx.perByGroup(args[table]) { t, _ in table(t, try requests(t, args)) { c, agg in value(c, agg) } } }
            return groups.results(groups.rows.indices.map { g in
                table(t, named) { c, agg in spreadValue(c, agg, numeric, stats?.1[g] ?? [], text, counts?.1[g] ?? []) }
            })
        }
        return try await ctx.perByGroup(args[table]) { t, _ in table(t, try requests(t, args)) { c, agg in value(c, agg) } }
    }

    /// A statistic of a column's rows (one process).
    static func value(_ c: Column, _ agg: String) -> Double {
        agg == "N" || agg == "NMISS" ? Double((0..<c.data.count).filter { c.data.isMissing(at: $0) == (agg == "NMISS") }.count)
            : value(agg, ColumnStats(c.data))
    }

    /// A statistic of a distributed table's column from the workers' merged statistics (numeric columns) or counts.
    static func spreadValue(_ c: Column, _ agg: String, _ numeric: [Column], _ stats: [ColumnStats], _ text: [Column],
                            _ counts: [(n: Int, nmiss: Int)]) -> Double {
        if let i = numeric.firstIndex(where: { $0.name == c.name }), stats.indices.contains(i) { return value(agg, stats[i]) }
        guard let i = text.firstIndex(where: { $0.name == c.name }), counts.indices.contains(i) else { return .nan }
        return Double(agg == "NMISS" ? counts[i].nmiss : counts[i].n)   // a character column: N and NMISS only
    }

    /// The statistics asked for, in order: (column, statistic); a column that is not there, or a statistic that
    /// needs a number of a character column, is an error naming its varSpecs entry.
    static func requests(_ t: CASTable, _ args: Args) throws(ActionError) -> [(Column, String)] {
        var out: [(Column, String)] = []
        for (i, spec) in args[varSpecs].enumerated() {
            let agg = spec[VarSpec.agg]
            for (k, name) in spec[VarSpec.names].enumerated() {
                guard let c = t.data.column(name) else {
                    throw ActionError.missingColumn(name, in: t.data, parameter: "varSpecs[\(i + 1)].names[\(k + 1)]")
                }
                guard agg == "N" || agg == "NMISS" || c.type.isNumeric else {
                    throw ActionError(.parameterValue, "Column '\(c.name)' is \(c.type.rawValue); \(agg) needs a numeric column.",
                                      parameter: "varSpecs[\(i + 1)].names[\(k + 1)]")
                }
                out.append((c, agg))
            }
        }
        return out
    }

    /// The `Aggregate` table: a row per column (in the order first named), a column per statistic (likewise).
    static func table(_ t: CASTable, _ requests: [(Column, String)], _ value: (Column, String) -> Double) -> ValueDict {
        var order: [String] = [], statOrder: [String] = []
        var cells: [String: [String: Double]] = [:]  // column → stat → value
        for (c, agg) in requests {
            if !statOrder.contains(agg) { statOrder.append(agg) }
            if cells[c.name] == nil { order.append(c.name); cells[c.name] = [:] }
            cells[c.name]![agg] = value(c, agg)
        }
        let rows: [[Value]] = order.map { n in [.string(n)] + statOrder.map { s in cells[n]![s].map(Value.double) ?? .null } }
        return ["Aggregate": .table(.result("Aggregate", label: "Aggregates for \(t.name.uppercased())",
                                            columns: [("Column", .varchar)] + statOrder.map { (columnNames[$0]!, .double) }, rows: rows))]
    }
}
