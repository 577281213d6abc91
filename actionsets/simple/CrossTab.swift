import CASCore
import CASWire

/// `simple.crossTab`: a two-way table of counts (e.g. the confusion matrix of actual × predicted);
/// per by-group with `table.groupBy`.
struct CrossTab: Action {
    static let name = "crossTab"
    static let summary = "Counts rows for each combination of a row column's and a column column's levels (a two-way table)."
    static let table = P.table()
    static let row = P.string("row", "Column whose levels are the rows.")
    static let col = P.string("col", "Column whose levels are the columns.")
    static let parameters = [table.spec, row.spec, col.spec]

    static let scaleOut = ScaleOut.partitionLocal

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if let t = try await ctx.distributedTable(args[table]) {
            // an MPI server's table: every worker counts its block's pairs of levels, the counts are added here
            let (rc, cc) = try columns(t, args)
            let partials = try await ctx.onWorkers(t, args[table], partial, args: PartitionKernel.arguments(columns: [rc, cc]))
            return ["Crosstab": .table(table(rc, cc, try merged(partials)))]
        }
        if let t = try await ctx.distributedByGroupTable(args[table]) {
            // by-groups too: each worker counts each group's pairs, added here group by group
            let (rc, cc) = try columns(t, args)
            let (groups, perGroup) = try await ctx.onWorkersByGroup(t, args[table], partial, args: PartitionKernel.arguments(columns: [rc, cc]))
            return groups.results(try perGroup.map { partials throws(ActionError) -> ValueDict in ["Crosstab": .table(table(rc, cc, try merged(partials)))] })
        }
        return try await ctx.perByGroup(args[table]) { t, _ in
            let (rc, cc) = try columns(t, args)
            return ["Crosstab": .table(table(rc, cc, pairCounts(rc.data, cc.data)))]
        }
    }

    /// The workers' pair counts added up.
    static func merged(_ partials: [DataTable]) throws(ActionError) -> [Level: [Level: Int]] {
        var counts: [Level: [Level: Int]] = [:]
        for p in partials {
            guard p.columns.count == 7 else { throw ActionError(.internalError, "a worker's crossTab partial has the wrong shape") }
            for r in 0..<p.rowCount {
                guard let n = p.columns[6].data.value(at: r).intValue else { throw ActionError(.internalError, "a worker's crossTab partial has a bad row") }
                counts[Level(cells: p, row: r, at: 0), default: [:]][Level(cells: p, row: r, at: 3), default: 0] += Int(n)
            }
        }
        return counts
    }

    static func columns(_ t: CASTable, _ args: Args) throws(ActionError) -> (Column, Column) {
        guard let rc = t.data.column(args[row]) else { throw ActionError.missingColumn(args[row], in: t.data, parameter: "row") }
        guard let cc = t.data.column(args[col]) else { throw ActionError.missingColumn(args[col], in: t.data, parameter: "col") }
        return (rc, cc)
    }

    /// How many rows hold each pair of levels: [row level: [column level: rows]].
    static func pairCounts(_ rows: ColumnData, _ cols: ColumnData) -> [Level: [Level: Int]] {
        var counts: [Level: [Level: Int]] = [:]
        for r in 0..<rows.count { counts[Level(rows, r), default: [:]][Level(cols, r), default: 0] += 1 }
        return counts
    }

    /// The partition-local part of crossTab (`serve --mpi`): a worker's pairs of levels of the row and the column
    /// column with their counts (`Level.cells` of each, then the count).
    static let partial = PartitionKernel("simple.crossTab") { block, arguments throws(ActionError) in
        let c = try PartitionKernel.columns(of: block, arguments, kernel: "simple.crossTab")
        guard c.count == 2 else { throw ActionError(.internalError, "simple.crossTab: needs the row and the column column") }
        var b = TableBuilder(name: "Pairs", columns: Level.cellColumns("Row") + Level.cellColumns("Col") + [("Count", .int64)])
        for (a, perCol) in pairCounts(c[0].data, c[1].data) {
            for (l, n) in perCol { b.append(a.cells + l.cells + [.int(Int64(n))]) }
        }
        return b.table
    }

    /// The `Crosstab` table from the pair counts.
    static func table(_ rc: Column, _ cc: Column, _ counts: [Level: [Level: Int]]) -> DataTable {
        let colLevels = Set(counts.values.flatMap(\.keys))
        let rowLevels = counts.keys.sorted()
        let cols = colLevels.sorted()
        var table = DataTable(name: "Crosstab", label: "Cross Tabulation of \(rc.name) by \(cc.name)")
        table.columns.append(Column(name: rc.name, data: .varchar(rowLevels.map(\.display))))
        for (j, level) in cols.enumerated() {
            table.columns.append(Column(name: "Col\(j + 1)", label: level.display, data: .double(rowLevels.map { Double(counts[$0]?[level] ?? 0) })))
        }
        table.columns.append(Column(name: "Total", data: .double(rowLevels.map { Double(counts[$0]!.values.reduce(0, +)) })))
        return table
    }
}
