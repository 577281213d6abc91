import CASCore
import CASWire

/// `simple.topk`: per column, the `topk` highest-ranked and `bottomk` lowest-ranked distinct values,
/// ranked by frequency (`order="FREQ"`) or by value (`order="VALUE"`; missing sorts lowest).
/// `Topk` has the top rows of a column (Rank 1…) then its bottom rows (Rank 1…); `Score` is the
/// value's frequency in both orders. Ties are broken by value (ascending for the bottom rows,
/// descending for the top ones), so a column has exactly min(k, distinct) rows per side.
/// `TopkMisc` gives each column's number of distinct values (`N`). Per by-group with `table.groupBy`.
struct TopK: Action {
    static let name = "topk"
    static let summary = "Top and bottom values of each column, ranked by frequency or by value, with the number of distinct values."
    static let table = P.table()
    static let inputs = P.columns("inputs", "Columns; all columns except varbinary ones when omitted.")
    static let topk = P.int("topk", "How many top-ranked values per column.", default: 10, min: 0)
    static let bottomk = P.int("bottomk", "How many bottom-ranked values per column.", default: 10, min: 0)
    static let order = P.string("order", "FREQ ranks by frequency (most frequent on top), VALUE by value (highest on top).",
                                default: "FREQ", allowed: ["FREQ", "VALUE"])
    static let includeMissing = P.bool("includeMissing", "Rank missing as a value (lowest by value).", default: true)
    static let raw = P.bool("raw", "Accepted for compatibility: values are always raw (FmtVar holds the text).", default: false)
    static let maxTie = P.int("maxTie", "Accepted for compatibility: ties are broken by value, never expanded.", default: 0, min: 0)
    static let casOut = P.outTable("casOut", "Write the ranked values to this table (the by-variables, _Column_, _Fmtvar_, _Rank_, _Charvar_ and/or _Numvar_, _Score_) instead of answering them.")
    static let parameters = [table.spec, inputs.spec, topk.spec, bottomk.spec, order.spec, includeMissing.spec, raw.spec, maxTie.spec, casOut.spec]

    static let scaleOut = ScaleOut.partitionLocal

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if !args.has(casOut), let t = try await ctx.distributedTable(args[table]) {
            // an MPI server's table: freq's level counts from every worker's block, merged and ranked here
            let cols = try columns(t, args)
            return try tables(t, cols, try await Freq.distributedCounts(t, args[table], cols, ctx), args)
        }
        if !args.has(casOut), let t = try await ctx.distributedByGroupTable(args[table]) {
            let cols = try columns(t, args)
            let (groups, perGroup) = try await Freq.distributedCountsByGroup(t, args[table], cols, ctx)
            return groups.results(try perGroup.map { counts throws(ActionError) in try tables(t, cols, counts, args) })
        }
        return try await ctx.perByGroup(args[table], casOut: args.has(casOut) ? args[casOut] : nil, result: "Topk",
                               names: ["CharVar": "_Charvar_", "NumVar": "_Numvar_", "FmtVar": "_Fmtvar_"], optional: ["CharVar", "NumVar"]) { t, _ in try await ranked(t, args, ctx) }
    }

    /// The `Topk` and `TopkMisc` tables of `t`.
    static func ranked(_ t: CASTable, _ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let cols = try columns(t, args)
        let counts = try await ctx.cpu { () -> [[Level: Int]] in cols.map { Freq.levelCounts($0.data) } }
        return try tables(t, cols, counts, args)
    }

    static func columns(_ t: CASTable, _ args: Args) throws(ActionError) -> [Column] {
        try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type != .varbinary })
    }

    /// The `Topk` and `TopkMisc` tables from each column's level counts.
    static func tables(_ t: CASTable, _ cols: [Column], _ levelCounts: [[Level: Int]], _ args: Args) throws(ActionError) -> ValueDict {
        let (top, bottom, byValue, withMissing) = (args[topk], args[bottomk], args[order] == "VALUE", args[includeMissing])
        let anyChar = cols.contains { $0.type == .varchar || $0.type == .varbinary }
        let anyNum = cols.contains { $0.type != .varchar && $0.type != .varbinary }
        let ranked = zip(cols, levelCounts).map { c, all -> (Column, [(Level, Int)], Int) in
            var counts = all
            if !withMissing { counts[.missing] = nil }
            // ascending: lowest rank first
            let asc = counts.sorted { a, b in
                byValue ? a.key < b.key : (a.value != b.value ? a.value < b.value : a.key < b.key)
            }
            return (c, asc.map { ($0.key, $0.value) }, counts.count)
        }
        var columns: [(String, ColumnType)] = [("Column", .varchar), ("FmtVar", .varchar), ("Rank", .double)]
        if anyChar { columns.append(("CharVar", .varchar)) }
        if anyNum { columns.append(("NumVar", .double)) }
        columns.append(("Score", .double))
        var b = TableBuilder(name: "Topk", columns: columns, label: "Top and Bottom Distinct Values for \(t.name.uppercased())")
        var misc: [[Value]] = []
        for (c, asc, n) in ranked {
            let isChar = c.type == .varchar || c.type == .varbinary
            func row(_ e: (Level, Int), rank: Int) -> [Value] {
                var r: [Value] = [.string(c.name), .string(e.0.display), .double(Double(rank))]
                if anyChar { r.append(isChar ? e.0.value : .null) }
                if anyNum { r.append(isChar ? .null : e.0.value) }
                r.append(.double(Double(e.1)))
                return r
            }
            for (i, e) in asc.reversed().prefix(top).enumerated() { b.append(row(e, rank: i + 1)) }
            for (i, e) in asc.prefix(bottom).enumerated() { b.append(row(e, rank: i + 1)) }
            let shownTop = min(top, asc.count), shownBottom = min(bottom, asc.count)
            let other = asc.dropFirst(shownBottom).dropLast(shownTop).reduce(0) { $0 + $1.1 }
            misc.append([.string(c.name), .double(Double(n)), .double(asc.count > top ? 1 : 0), .double(asc.count > bottom ? 1 : 0),
                         .double(Double(other))])
        }
        let m = DataTable.result("TopkMisc", label: "Miscellaneous Information", columns: [
            ("Column", .varchar), ("N", .double), ("TruncatedTopk", .double), ("TruncatedBtmk", .double), ("ScoreOther", .double),
        ], rows: misc)
        return ["Topk": .table(b.table), "TopkMisc": .table(m)]
    }
}
