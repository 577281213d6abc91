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

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        try await ctx.perByGroup(args[table]) { t, _ in try crossTab(t, args) }
    }

    /// The `Crosstab` table of `t`.
    static func crossTab(_ t: CASTable, _ args: Args) throws -> ValueDict {
        guard let rc = t.data.column(args[row]) else { throw ActionError.missingColumn(args[row], in: t.data, parameter: "row") }
        guard let cc = t.data.column(args[col]) else { throw ActionError.missingColumn(args[col], in: t.data, parameter: "col") }
        var counts: [Level: [Level: Int]] = [:]
        var colLevels = Set<Level>()
        for r in 0..<t.rowCount {
            let a = Level(rc.data, r), b = Level(cc.data, r)
            counts[a, default: [:]][b, default: 0] += 1
            colLevels.insert(b)
        }
        let rowLevels = counts.keys.sorted()
        let cols = colLevels.sorted()
        var table = DataTable(name: "Crosstab", label: "Cross Tabulation of \(rc.name) by \(cc.name)")
        table.columns.append(Column(name: rc.name, data: .varchar(rowLevels.map(\.display))))
        for (j, level) in cols.enumerated() {
            table.columns.append(Column(name: "Col\(j + 1)", label: level.display, data: .double(rowLevels.map { Double(counts[$0]?[level] ?? 0) })))
        }
        table.columns.append(Column(name: "Total", data: .double(rowLevels.map { Double(counts[$0]!.values.reduce(0, +)) })))
        return ["Crosstab": .table(table)]
    }
}
