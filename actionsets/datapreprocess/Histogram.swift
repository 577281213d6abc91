import CASCore
import CASWire

/// `datapreprocess.histogram`: equal-width bins of numeric columns and the number of rows in each,
/// as CAS's `BinDetails` table (per by-group with `table.groupBy`). Variables are listed in the
/// table's column order; missing values (and infinities) are not binned. Bins: see `Bins`.
struct Histogram: Action {
    static let name = "histogram"
    static let summary = "Equal-width bins of numeric columns with the number and percentage of rows in each (BinDetails)."
    static let table = P.table()
    static let inputs = P.columns("inputs", "Numeric columns to bin; all numeric columns (except by-variables) when omitted.").aliases("vars")
    static let nBins = P.optionalInt("nBins", "Number of bins, splitting each column's range exactly; automatic when omitted.", min: 1, max: Bins.maxBins)
    static let binWidth = P.optionalDouble("binWidth", "Width of the bins, the first starting at a multiple of it; automatic when omitted.", min: 0)
        .with { $0.exclusiveMin = true }
    static let parameters = [table.spec, inputs.spec, nBins.spec, binWidth.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if args[nBins] != nil && args[binWidth] != nil {
            throw ActionError(.parameterValue, "Give nBins or binWidth, not both.", parameter: "binWidth")
        }
        return try await ctx.perByGroup(args[table]) { t, by in
            let named = try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type.isNumeric && !by.contains($0.name) }) { c in
                c.type.isNumeric ? nil : "Column '\(c.name)' is \(c.type.rawValue); histogram bins numeric columns."
            }
            let cols = t.data.columns.filter { c in named.contains { $0.name == c.name } }   // the table's order, as CAS
            let (k, w) = (args[nBins], args[binWidth])
            // every result row is charged to the memory budget before it is made (many bins × many columns × many groups)
            if let k { try ctx.reserve(k * Swift.max(1, cols.count) * bytesPerRow, for: "histogram bins") }   // ≤ 100 000 × 2^20 × 160: no overflow
            let rows = try await ctx.cpu { () throws -> [[Value]] in
                var rows: [[Value]] = []
                for c in cols {
                    let made = try binRows(c, nBins: k, binWidth: w)
                    if k == nil { try ctx.reserve(made.count * bytesPerRow, for: "histogram bins") }
                    rows += made
                }
                return rows
            }
            return ["BinDetails": .table(.result("BinDetails", label: "Bin Details", columns: [
                ("Variable", .varchar), ("BinSetId", .int32), ("BinId", .int32), ("BinLowerBnd", .double), ("BinUpperBnd", .double),
                ("BinWidth", .double), ("NInBin", .int64), ("Percent", .double),
            ], rows: rows))]
        }
    }

    /// What one BinDetails row costs in memory, roughly (eight cells and the variable's name).
    static let bytesPerRow = 160

    /// One `BinDetails` row per bin of column `c`.
    static func binRows(_ c: Column, nBins: Int?, binWidth: Double?) throws(ActionError) -> [[Value]] {
        let xs = (0..<c.data.count).compactMap { c.data.double(at: $0) }.filter(\.isFinite)
        guard let lo = xs.min(), let hi = xs.max(),
              let bins = try Bins.make(min: lo, max: hi, n: xs.count, nBins: nBins, binWidth: binWidth) else { return [] }
        var counts = [Int](repeating: 0, count: bins.count)
        for x in xs { counts[bins.index(x)] += 1 }
        return counts.enumerated().map { i, n in
            [.string(c.name), 1, .int(Int64(i + 1)), .double(bins.lowerBound(i)), .double(bins.lowerBound(i + 1)), .double(bins.width),
             .int(Int64(n)), .double(Double(n) / Double(xs.count) * 100)]
        }
    }
}
