import CASCore
import CASWire

/// `simple.summary`: descriptive statistics of numeric columns (per by-group with `table.groupBy`).
struct Summary: Action {
    static let name = "summary"
    static let summary = "Computes N, NMiss, Min, Max, Mean, Sum, Std, StdErr, Var, USS, CSS, CV, TValue, ProbT, Skewness and Kurtosis for numeric columns."
    static let scaleOut = ScaleOut.partitionLocal
    static let table = P.table()
    static let inputs = P.columns("inputs", "Numeric columns to summarise; all numeric columns when omitted.")
    static let casOut = P.outTable("casOut", "Write the statistics to this table (one row per column and by-group: the by-variables, _Column_, _Min_, …) instead of answering them.")
    /// CAS's statistic names → the Summary columns they keep.
    static let subSets: [String: String] = ["MIN": "Min", "MAX": "Max", "N": "N", "NMISS": "NMiss", "MEAN": "Mean", "SUM": "Sum", "STD": "Std",
                                           "STDERR": "StdErr", "VAR": "Var", "USS": "USS", "CSS": "CSS", "CV": "CV", "T": "TValue",
                                           "TSTAT": "TValue", "PROBT": "ProbT", "SKEWNESS": "Skewness", "KURTOSIS": "Kurtosis"]
    static let subSet = P.stringList("subSet", "Only these statistics (CAS's names; all when omitted).", allowed: subSets.keys.sorted())
    static let parameters = [table.spec, inputs.spec, subSet.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if !args.has(casOut), let t = try await ctx.distributedTable(args[table]) {
            // an MPI server's table: each worker sums up its block, the moments are merged here
            let cols = try columns(t, args, by: [])
            let partials = try await ctx.onWorkers(t, args[table], partial, args: PartitionKernel.arguments(columns: cols))
            var merged = [Moments](repeating: Moments(), count: cols.count)
            for p in partials { for i in cols.indices { merged[i].merge(try Moments(partial: p, row: i)) } }
            return ["Summary": .table(summaryTable(t, cols, merged.map { ($0.stats, $0.shape) }, args))]
        }
        if !args.has(casOut), let t = try await ctx.distributedByGroupTable(args[table]) {
            // by-groups too: each worker sums up each group of its block, the moments merged here group by group
            let cols = try columns(t, args, by: args[table].groupBy.compactMap { t.data.column($0)?.name })
            let (groups, perGroup) = try await ctx.onWorkersByGroup(t, args[table], partial, args: PartitionKernel.arguments(columns: cols))
            return groups.results(try perGroup.map { partials throws(ActionError) -> ValueDict in
                var merged = [Moments](repeating: Moments(), count: cols.count)
                for p in partials { for i in cols.indices { merged[i].merge(try Moments(partial: p, row: i)) } }
                return ["Summary": .table(summaryTable(t, cols, merged.map { ($0.stats, $0.shape) }, args))]
            })
        }
        return try await ctx.perByGroup(args[table], casOut: args.has(casOut) ? args[casOut] : nil, result: "Summary",
                                        names: ["N": "_NObs_", "TValue": "_T_", "ProbT": "_PRT_"]) { t, by in try await summary(t, args, ctx, by: by) }
    }

    /// The partition-local part of summary (`serve --mpi`): `Moments` of the named columns of a worker's block.
    static let partial = PartitionKernel("simple.summary") { block, arguments throws(ActionError) in
        let columns = try PartitionKernel.columns(of: block, arguments, kernel: "simple.summary")
        return .result("Moments", columns: Moments.columns, rows: columns.map { [.string($0.name)] + Moments($0.data).row })
    }

    /// The numeric columns summarised; by-variables are not unless named in `inputs`.
    static func columns(_ t: CASTable, _ args: Args, by: [String]) throws(ActionError) -> [Column] {
        try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type.isNumeric && !by.contains($0.name) }) { c in
            c.type.isNumeric ? nil : "Column '\(c.name)' is \(c.type.rawValue); summary needs numeric columns."
        }
    }

    /// The `Summary` table of `t`; by-variables are not summarised unless named in `inputs`.
    static func summary(_ t: CASTable, _ args: Args, _ ctx: ActionContext, by: [String]) async throws -> ValueDict {
        let chosen = try columns(t, args, by: by)
        let stats = try await ctx.cpu { chosen.map { c in (ColumnStats(c.data), c.data) }.map { s, d in (s, shape(d, s)) } }
        return ["Summary": .table(summaryTable(t, chosen, stats, args))]
    }

    /// CAS's Summary table from each column's statistics.
    static func summaryTable(_ t: CASTable, _ cols: [Column], _ stats: [(ColumnStats, (skewness: Double, kurtosis: Double))], _ args: Args) -> DataTable {
        let rows: [[Value]] = zip(cols, stats).map { c, both in
            let (s, shape) = both
            let std = s.variance.squareRoot()
            let stdErr = std / Double(s.n).squareRoot()
            let t = s.mean / stdErr
            return [.string(c.name), .double(s.min), .double(s.max), .int(Int64(s.n)), .int(Int64(s.nmiss)), .double(s.mean), .double(s.sum),
                    .double(std), .double(stdErr), .double(s.variance), .double(s.uss), .double(s.css), .double(std / s.mean * 100),
                    .double(t), .double(StudentT.twoSidedP(t, df: Double(s.n - 1))), .double(shape.skewness), .double(shape.kurtosis)]
        }
        var table = DataTable.result("Summary", label: "Descriptive Statistics for \(t.name.uppercased())", columns: [
            ("Column", .varchar), ("Min", .double), ("Max", .double), ("N", .double), ("NMiss", .double), ("Mean", .double), ("Sum", .double),
            ("Std", .double), ("StdErr", .double), ("Var", .double), ("USS", .double), ("CSS", .double), ("CV", .double), ("TValue", .double),
            ("ProbT", .double), ("Skewness", .double), ("Kurtosis", .double),
        ], rows: rows)
        let wanted = Set(args[subSet].compactMap { subSets[$0.uppercased()] })
        if !wanted.isEmpty { table.columns.removeAll { $0.name != "Column" && !wanted.contains($0.name) } }
        return table
    }

    /// SAS's sample skewness and excess kurtosis (VARDEF=DF; pandas' `skew()` and `kurt()`): missing with
    /// fewer than 3 (4) values or no spread.
    static func shape(_ data: ColumnData, _ s: ColumnStats) -> (skewness: Double, kurtosis: Double) {
        let n = Double(s.n), sd = s.variance.squareRoot()
        guard s.n > 2, sd > 0 else { return (.nan, .nan) }
        var z3 = 0.0, z4 = 0.0
        for r in 0..<data.count {
            guard let x = data.double(at: r) else { continue }
            let z = (x - s.mean) / sd
            z3 += z * z * z
            z4 += z * z * z * z
        }
        let skew = n / ((n - 1) * (n - 2)) * z3
        guard s.n > 3 else { return (skew, .nan) }
        let kurt = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * z4 - 3 * (n - 1) * (n - 1) / ((n - 2) * (n - 3))
        return (skew, kurt)
    }
}

/// Statistics of a distributed table's columns (`serve --mpi`) for other action sets (`aggregation.aggregate`):
/// computed on the workers' blocks and merged here, as simple's own actions do.
public enum SpreadStatistics {
    /// Each numeric column's statistics (`ColumnStats`, from the workers' merged `Moments`).
    public static func columnStats(_ t: CASTable, _ ref: TableRef, _ cols: [Column], _ ctx: ActionContext) async throws(ActionError) -> [ColumnStats] {
        try merged(try await ctx.onWorkers(t, ref, Summary.partial, args: PartitionKernel.arguments(columns: cols)), cols)
    }

    /// `columnStats` per by-group (the reference's groupBy): the groups, and each one's statistics.
    public static func columnStatsByGroup(_ t: CASTable, _ ref: TableRef, _ cols: [Column],
                                          _ ctx: ActionContext) async throws(ActionError) -> (ByGroups, [[ColumnStats]]) {
        let (groups, perGroup) = try await ctx.onWorkersByGroup(t, ref, Summary.partial, args: PartitionKernel.arguments(columns: cols))
        return (groups, try perGroup.map { partials throws(ActionError) in try merged(partials, cols) })
    }

    static func merged(_ partials: [DataTable], _ cols: [Column]) throws(ActionError) -> [ColumnStats] {
        var merged = [Moments](repeating: Moments(), count: cols.count)
        for p in partials { for i in cols.indices { merged[i].merge(try Moments(partial: p, row: i)) } }
        return merged.map(\.stats)
    }

    /// Each column's non-missing and missing cells (`ColumnData.isMissing`: character columns too), from the
    /// workers' level counts.
    public static func counts(_ t: CASTable, _ ref: TableRef, _ cols: [Column], _ ctx: ActionContext) async throws(ActionError) -> [(n: Int, nmiss: Int)] {
        tally(try await Freq.distributedCounts(t, ref, cols, ctx))
    }

    /// `counts` per by-group: the groups, and each one's counts.
    public static func countsByGroup(_ t: CASTable, _ ref: TableRef, _ cols: [Column],
                                     _ ctx: ActionContext) async throws(ActionError) -> (ByGroups, [[(n: Int, nmiss: Int)]]) {
        let (groups, perGroup) = try await Freq.distributedCountsByGroup(t, ref, cols, ctx)
        return (groups, perGroup.map(tally))
    }

    static func tally(_ counts: [[Level: Int]]) -> [(n: Int, nmiss: Int)] {
        counts.map { levels in
            let missing = levels[.missing] ?? 0
            return (levels.values.reduce(0, +) - missing, missing)
        }
    }
}
