import CASCore
import CASWire

/// `table.fetch`: rows of a table as a `Fetch` result table with an `_Index_` column.
struct Fetch: Action {
    static let name = "fetch"
    static let summary = "Fetches rows from a table (optionally sorted and filtered) as the result table Fetch."
    static let table = P.table()
    static let from = P.int("from", "First row to return (1-based, after sorting).", default: 1, min: 1)
    static let to = P.int("to", "Last row to return (inclusive).", default: 20, min: 1)
    static let maxRows = P.int("maxRows", "Most rows to return in one call.", default: 1000, min: 1)
    static let sortBy = P.sortBy()
    static let fetchVars = P.columns("fetchVars", "Columns to return; all when omitted.")
    static let index = P.bool("index", "Add the 1-based _Index_ column.", default: true)
    static let format = P.bool("format", "Accepted for compatibility; values are returned raw.", default: false)
    static let sasTypes = P.bool("sasTypes", "Accepted for compatibility; native column types are returned.", default: true).hidden()
    static let parameters = [table.spec, from.spec, to.spec, maxRows.spec, sortBy.spec, fetchVars.spec, index.spec, format.spec, sasTypes.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.filteredTable(args[table])
        var data = t.data
        let keys = try SortItem.keys(args[sortBy], in: data)
        let first = args[from]
        let count = args[to] >= first ? min(args[maxRows], args[to] - first + 1) : 0
        let window = Checked.window(first: first, count: count, rows: data.rowCount)
        let order = keys.isEmpty ? Array(0..<data.rowCount) : data.sortedRows(by: keys)
        let rows = Array(order[window])
        let wanted = args[fetchVars]
        var cols: [Column] = []
        if wanted.isEmpty {
            cols = data.columns
        } else {
            for (i, w) in wanted.enumerated() {
                guard let c = data.column(w) else { throw ActionError.missingColumn(w, in: data, parameter: "fetchVars[\(i + 1)]") }
                cols.append(c)
            }
        }
        data.columns = cols
        var out = data.gather(rows)
        if args[index] {
            out.columns.insert(Column(name: "_Index_", data: .int64(rows.indices.map { Int64(first + $0) })), at: 0)
        }
        out.name = "Fetch"
        out.label = "Selected Rows from Table \(t.name.uppercased())"
        out.title = out.label
        out.attributes = ValueDict([("Action", .string("fetch")), ("NRows", .int(Int64(out.rowCount)))])
        return ["Fetch": .table(out)]
    }
}
