import CASCore
import CASWire

/// `table.fetch`: rows of a table as a `Fetch` result table with an `_Index_` column.
struct Fetch: Action {
    static let name = "fetch"
    static let summary = "Fetches rows from a table (optionally sorted and filtered) as the result table Fetch."
    static let scaleOut = ScaleOut.window
    static let table = P.table()
    static let from = P.int("from", "First row to return (1-based, after sorting).", default: 1, min: 1)
    static let to = P.int("to", "Last row to return (inclusive).", default: 20, min: 1)
    static let maxRows = P.int("maxRows", "Most rows in one result table: a longer from..to range comes back in several tables, Fetch, Fetch1, Fetch2, … (as CAS does).", default: 1000, min: 1)
    static let sortBy = P.sortBy()
    static let fetchVars = P.columns("fetchVars", "Columns to return; all when omitted.")
    static let index = P.bool("index", "Add the 1-based _Index_ column.", default: true)
    static let format = P.bool("format", "Accepted for compatibility; values are returned raw.", default: false)
    static let sasTypes = P.bool("sasTypes", "Accepted for compatibility; native column types are returned.", default: true).hidden()
    static let parameters = [table.spec, from.spec, to.spec, maxRows.spec, sortBy.spec, fetchVars.spec, index.spec, format.spec, sasTypes.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let first = args[from], batchRows = args[maxRows]
        let count = args[to] >= first ? args[to] - first + 1 : 0
        /// The rows fetched of a table of `rows` rows, refused when they would make too many result tables (decided
        /// before any sorting, copying or gathering).
        func windowOf(_ rows: Int) throws(ActionError) -> Range<Int> {
            let window = Checked.window(first: first, count: count, rows: rows)
            let tables = window.isEmpty ? 1 : (window.count - 1) / batchRows + 1
            guard tables <= Limits.maxFetchTables else {
                throw ActionError(.parameterValue, "Rows \(window.lowerBound + 1) to \(window.upperBound) in batches of maxRows=\(batchRows) would make "
                                  + "\(tables) result tables; at most \(Limits.maxFetchTables) are returned. Raise maxRows or narrow from/to.",
                                  parameter: "maxRows")
            }
            return window
        }
        // `data` holds the table's rows from `offset` on: all of them, or (an MPI server's table read unsorted: swat's
        // head()) only the window's, from the workers holding them
        var data: DataTable, name: String, window: Range<Int>, offset = 0
        let upper = first > Int.max - count ? Int.max : first - 1 + count   // the last row wanted (1-based), saturated
        if args[sortBy].isEmpty, let part = try await ctx.distributedRows(args[table], window: windowOf) {
            (data, name, window, offset) = (part.rows, part.rows.name, part.window, part.window.lowerBound)
        } else if !args[sortBy].isEmpty, first >= 1,
                  let top = try await ctx.distributedTop(args[table], keys: args[sortBy].map { ($0[SortItem.name], $0[SortItem.order] == "DESCENDING") },
                                                         count: upper) {
            // an MPI server's table sorted: the first `upper` rows in order, from every worker's sorted candidates
            // (fewer: the table has no more); the window and the order below are then those of the whole table
            (data, name) = (top, top.name)
            window = try windowOf(data.rowCount)
        } else {
            let t = try await ctx.filteredTable(args[table])
            (data, name) = (t.data, t.name)
            window = try windowOf(data.rowCount)
        }
        let keys = try SortItem.keys(args[sortBy], in: data)
        let wanted = args[fetchVars]
        var cols: [Column] = []
        if wanted.isEmpty {
            cols = data.columns
        } else {
            var seen = Set<String>()
            for (i, w) in wanted.enumerated() {
                guard let c = data.column(w) else { throw ActionError.missingColumn(w, in: data, parameter: "fetchVars[\(i + 1)]") }
                guard seen.insert(c.name.lowercased()).inserted else {
                    throw ActionError(.parameterValue, "Column '\(w)' is named twice in fetchVars (names are compared without regard to case).",
                                      parameter: "fetchVars[\(i + 1)]")
                }
                cols.append(c)
            }
        }
        // Sorted (on any column, fetched or not), each batch's rows are gathered. Unsorted, a batch is a
        // run of rows: the whole table shares its columns' storage (no copy), a part is one slice per column.
        let sorting = data
        let order = keys.isEmpty ? nil : Array(try await ctx.cpu {
            try sorting.sortedRows(by: keys) { () throws(ActionError) in try ctx.checkCancellation() }
        }[window])
        data.columns = cols
        let batch = batchRows
        var results = ValueDict()
        // CAS's batches: maxRows rows a table, Fetch then Fetch1, Fetch2, … (swat orders them by that number)
        for (k, lo) in stride(from: 0, to: Swift.max(window.count, 1), by: batch).enumerated() {
            let part = lo..<Swift.min(window.count, lo + batch)   // positions in the window
            var out = data
            if let order {
                out = data.gather(Array(order[part]))
            } else if part.count != data.rowCount {
                let rows = (window.lowerBound - offset + part.lowerBound)..<(window.lowerBound - offset + part.upperBound)
                for i in out.columns.indices { out.columns[i].data = data.columns[i].data.slice(rows) }
            }
            if args[index] {
                out.columns.insert(Column(name: "_Index_", data: .int64(part.map { Int64(first + $0) })), at: 0)
            }
            let key = k == 0 ? "Fetch" : "Fetch\(k)"
            out.name = key
            out.label = "Selected Rows from Table \(name.uppercased())"
            out.title = out.label
            out.attributes = ValueDict([("Action", .string("fetch")), ("NRows", .int(Int64(out.rowCount)))])
            results.appendUnchecked(key, .table(out))
        }
        return results
    }
}
