import CASCore
import CASWire

/// `percentile.percentile`: the requested percentiles of each numeric input column, by SAS's
/// percentile definition 5 (PROC UNIVARIATE's default; per by-group with `table.groupBy`): with n non-missing sorted values and
/// np = j + g, the value x(j+1) when g > 0, else the average of x(j) and x(j+1).
struct PercentileAction: Action {
    static let name = "percentile"
    static let summary = "Percentiles (definition 5, PROC UNIVARIATE's default) of numeric columns."
    static let table = P.table()
    static let inputs = P.columns("inputs", "Numeric columns; all numeric columns when omitted.")
    static let values = P.doubleList("values", "Percentiles to compute.", default: [25, 50, 75], min: 0, max: 100)
    static let multiTable = P.bool("multiTable", "Accepted for compatibility: results are always one Percentile table.", default: false)
    static let casOut = P.outTable("casOut", "Write the percentiles to this table (the by-variables, _Column_, _Pctl_, _Value_) instead of answering them.")
    static let parameters = [table.spec, inputs.spec, values.spec, multiTable.spec, casOut.spec]

    /// Definition 5 on sorted values.
    static func percentile(_ sorted: [Double], _ pct: Double) -> Double {
        percentile(count: sorted.count, pct) { sorted[$0] }
    }

    /// Definition 5 on `n` values, the `k`-th smallest (0-based) being `value(k)`.
    static func percentile(count n: Int, _ pct: Double, value: (Int) -> Double) -> Double {
        guard n > 0 else { return .nan }
        if pct <= 0 { return value(0) }
        if pct >= 100 { return value(n - 1) }
        let np = Double(n) * pct / 100
        let j = Int(np.rounded(.down)), g = np - Double(j)
        if g > 1e-12 { return value(min(j, n - 1)) }
        return j == 0 ? value(0) : (value(j - 1) + value(min(j, n - 1))) / 2
    }

    /// The 0-based ranks definition 5 reads for `pct` of `n` values.
    static func ranks(count n: Int, _ pct: Double) -> [Int] {
        var read: [Int] = []
        _ = percentile(count: n, pct) { read.append($0); return 0 }
        return read
    }

    static let scaleOut = ScaleOut.partitionLocal

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        // many percentiles at once: each would cost a window of values from every worker — read the columns instead
        if !args.has(casOut), args[values].count <= SpreadPercentiles.maxValues, let t = try await ctx.distributedTable(args[table]) {
            let cols = try columns(t, args, by: [])
            let wanted = args[values]
            let values = try await SpreadPercentiles.select(t, args[table], cols, ranks: { n in wanted.flatMap { ranks(count: n, $0) } }, ctx)
            return ["Percentile": .table(result(t, cols.indices.flatMap { i in
                wanted.map { p in [.string(cols[i].name), .double(p), .double(percentile(count: values[i].count, p) { values[i].value[$0] ?? .nan }), .double(1)] }
            }))]
        }
        return try await ctx.perByGroup(args[table], casOut: args.has(casOut) ? args[casOut] : nil, result: "Percentile",
                               names: ["Variable": "_Column_"]) { t, by in try await percentiles(t, args, ctx, by: by) }
    }

    /// The `Percentile` table of `t`; by-variables are left out unless named in `inputs`.
    static func percentiles(_ t: CASTable, _ args: Args, _ ctx: ActionContext, by: [String]) async throws -> ValueDict {
        let cols = try columns(t, args, by: by)
        let wanted = args[values]
        let rows = try await ctx.cpu { () -> [[Value]] in
            cols.flatMap { c -> [[Value]] in
                let sorted = (0..<c.data.count).compactMap { c.data.double(at: $0) }.sorted()
                return wanted.map { p in [.string(c.name), .double(p), .double(percentile(sorted, p)), .double(1)] }
            }
        }
        return ["Percentile": .table(result(t, rows))]
    }

    /// The numeric columns; by-variables are left out unless named in `inputs`.
    static func columns(_ t: CASTable, _ args: Args, by: [String]) throws(ActionError) -> [Column] {
        try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type.isNumeric && !by.contains($0.name) }) { c in
            c.type.isNumeric ? nil : "Column '\(c.name)' is \(c.type.rawValue); percentile needs numeric columns."
        }
    }

    static func result(_ t: CASTable, _ rows: [[Value]]) -> DataTable {
        .result("Percentile", label: "Percentiles for \(t.name.uppercased())",
                columns: [("Variable", .varchar), ("Pctl", .double), ("Value", .double), ("Converged", .double)], rows: rows)
    }
}
