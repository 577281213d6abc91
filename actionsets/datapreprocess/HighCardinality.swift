import CASCore
import CASWire

/// `datapreprocess.highCardinality`: the number of distinct non-missing values of each input column.
/// CAS estimates it; caslite counts exactly, so `CardinalityEstimate` and both bounds are the same
/// number. Per by-group with `table.groupBy`.
struct HighCardinality: Action {
    static let name = "highCardinality"
    static let summary = "Number of distinct non-missing values of each column (counted exactly: the estimate and its bounds agree)."
    static let table = P.table()
    static let inputs = P.columns("inputs", "Columns; all columns except varbinary ones (and the by-variables) when omitted.")
    static let parameters = [table.spec, inputs.spec]

    /// The number of distinct non-missing values.
    static func distinct(_ data: ColumnData) -> Int {
        switch data {
        case .varchar(let a): Set(a.compactMap { $0 }).count
        case .varbinary(let a): Set(a.compactMap { $0 }).count
        default: Set((0..<data.count).compactMap { data.double(at: $0) }).count
        }
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        try await ctx.perByGroup(args[table]) { t, by in
            let cols = try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type != .varbinary && !by.contains($0.name) })
            let rows = try await ctx.cpu { () -> [[Value]] in
                cols.map { c in
                    let n = Value.double(Double(distinct(c.data)))
                    return [.string(c.name), n, n, n]
                }
            }
            return ["HighCardinalityDetails": .table(.result("HighCardinalityDetails", label: "High Cardinality Details", columns: [
                ("Variable", .varchar), ("CardinalityEstimate", .double), ("CardinalityLowerBound", .double), ("CardinalityUpperBound", .double),
            ], rows: rows))]
        }
    }
}
