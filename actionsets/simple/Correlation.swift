import CASCore
import CASWire

/// `simple.correlation`: Pearson correlations of numeric columns, each pair over the rows where both
/// are present (pairwise deletion, as PROC CORR and pandas do). `Correlation` has a `Variable`
/// column and one column per input; `simple=true` adds `SimpleStats` (N, Mean, StdDev, Sum, Min, Max).
struct Correlation: Action {
    static let name = "correlation"
    static let summary = "Pearson correlation matrix of numeric columns (pairwise deletion of missing values), with simple statistics."
    static let table = P.table()
    static let inputs = P.columns("inputs", "Numeric columns; all numeric columns when omitted.")
    static let simple = P.bool("simple", "Also return SimpleStats.", default: true)
    static let parameters = [table.spec, inputs.spec, simple.spec]

    /// r of two columns over the rows where both are present (NaN with fewer than 2 rows or no variance).
    static func pearson(_ a: ColumnData, _ b: ColumnData) -> Double {
        var xs: [Double] = [], ys: [Double] = []
        for r in 0..<a.count {
            if let x = a.double(at: r), let y = b.double(at: r) { xs.append(x); ys.append(y) }
        }
        guard xs.count > 1 else { return .nan }
        let n = Double(xs.count), mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (x, y) in zip(xs, ys) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx); syy += (y - my) * (y - my) }
        guard sxx > 0, syy > 0 else { return .nan }
        return sxy / (sxx * syy).squareRoot()
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.filteredTable(args[table])
        let cols = try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type.isNumeric }) { c in
            c.type.isNumeric ? nil : "Column '\(c.name)' is \(c.type.rawValue); correlation needs numeric columns."
        }
        let matrix = try await ctx.cpu { () -> [[Double]] in
            cols.map { a in cols.map { b in a.name == b.name ? (pearson(a.data, b.data).isNaN ? .nan : 1) : pearson(a.data, b.data) } }
        }
        var out: ValueDict = [:]
        if args[simple] {
            let rows: [[Value]] = cols.map { c in
                let s = ColumnStats(c.data)
                return [.string(c.name), .double(Double(s.n)), .double(s.mean), .double(s.variance.squareRoot()), .double(s.sum), .double(s.min), .double(s.max)]
            }
            out["SimpleStats"] = .table(.result("SimpleStats", label: "Simple Statistics", columns: [
                ("Variable", .varchar), ("N", .double), ("Mean", .double), ("StdDev", .double), ("Sum", .double), ("Min", .double), ("Max", .double),
            ], rows: rows))
        }
        out["Correlation"] = .table(.result("Correlation", label: "Pearson Correlation Coefficients",
                                            columns: [("Variable", .varchar)] + cols.map { ($0.name, .double) },
                                            rows: zip(cols, matrix).map { c, row in [.string(c.name)] + row.map(Value.double) }))
        return out
    }
}
