import CASCore
import CASWire

/// `simple.distinct`: the number of distinct values and of missing values of each column
/// (per by-group with `table.groupBy`).
struct Distinct: Action {
    static let name = "distinct"
    static let summary = "Counts the distinct values (NDistinct) and the missing values (NMiss) of each input column."
    static let scaleOut = ScaleOut.partitionLocal
    static let table = P.table()
    static let inputs = P.columns("inputs", "Columns to count; all columns except varbinary ones when omitted.")
    static let includeMissing = P.bool("includeMissing", "Count missing as one more distinct value when a column has any.", default: true)
    static let casOut = P.outTable("casOut", "Write the counts to this table (the by-variables, _Column_, _NDis_, _NMiss_) instead of answering them.")
    static let parameters = [table.spec, inputs.spec, includeMissing.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if !args.has(casOut), let t = try await ctx.distributedTable(args[table]) {
            // an MPI server's table: freq's level counts from every worker's block, merged here
            let cols = try columns(t, args)
            return result(t, tally(cols, try await Freq.distributedCounts(t, args[table], cols, ctx)), args)
        }
        if !args.has(casOut), let t = try await ctx.distributedByGroupTable(args[table]) {
            let cols = try columns(t, args)
            let (groups, perGroup) = try await Freq.distributedCountsByGroup(t, args[table], cols, ctx)
            return groups.results(perGroup.map { result(t, tally(cols, $0), args) })
        }
        return try await ctx.perByGroup(args[table], casOut: args.has(casOut) ? args[casOut] : nil, result: "Distinct",
                               names: ["NDistinct": "_NDis_"]) { t, _ in try await distinct(t, args, ctx) }
    }

    /// The `Distinct` table of `t` (by-variables included, as CAS: swat's `nunique` drops them).
    static func distinct(_ t: CASTable, _ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let cols = try columns(t, args)
        let counts = try await ctx.cpu { () -> [(String, Int, Int)] in
            cols.map { c in
                var seen = Set<Level>(), missing = 0
                for r in 0..<c.data.count {
                    let l = Level(c.data, r)
                    if l == .missing { missing += 1 } else { seen.insert(l) }
                }
                return (c.name, seen.count, missing)
            }
        }
        return result(t, counts, args)
    }

    /// Each column's (name, distinct values other than missing, missing values) from its level counts.
    static func tally(_ cols: [Column], _ counts: [[Level: Int]]) -> [(String, Int, Int)] {
        zip(cols, counts).map { c, levels in
            let missing = levels[.missing] ?? 0
            return (c.name, levels.count - (missing > 0 ? 1 : 0), missing)
        }
    }

    static func columns(_ t: CASTable, _ args: Args) throws(ActionError) -> [Column] {
        try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type != .varbinary })
    }

    /// The Distinct table from each column's (name, distinct values other than missing, missing values).
    static func result(_ t: CASTable, _ counts: [(String, Int, Int)], _ args: Args) -> ValueDict {
        let withMissing = args[includeMissing]
        let rows: [[Value]] = counts.map { name, distinct, missing in
            [.string(name), .double(Double(distinct + (withMissing && missing > 0 ? 1 : 0))), .double(Double(missing)), .double(0)]
        }
        return ["Distinct": .table(.result("Distinct", label: "Distinct Counts for \(t.name.uppercased())",
                                           columns: [("Column", .varchar), ("NDistinct", .double), ("NMiss", .double), ("Trunc", .double)],
                                           rows: rows))]
    }
}
