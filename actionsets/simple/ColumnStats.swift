import CASWire

/// One column's descriptive statistics over its non-missing values (`simple.summary`,
/// `simple.correlation`, `aggregation.aggregate`). Missing values are counted in `nmiss`; with no
/// values `min`, `max`, `mean`, `variance` and `css` are NaN, and `variance` needs two values.
public struct ColumnStats: Equatable, Sendable {
    /// Non-missing and missing values.
    public var n = 0, nmiss = 0
    /// Extremes, sum, mean, sample variance (n - 1), uncorrected and corrected sums of squares.
    public var min = Double.nan, max = Double.nan, sum = 0.0, mean = Double.nan, variance = Double.nan, uss = 0.0, css = Double.nan

    /// The statistics of `data` (numbers as `ColumnData.double(at:)` reads them).
    public init(_ data: ColumnData) {
        var s = 0.0, ss = 0.0
        var lo = Double.infinity, hi = -Double.infinity
        for r in 0..<data.count {
            guard let x = data.double(at: r) else { nmiss += 1; continue }
            n += 1; s += x; ss += x * x; lo = Swift.min(lo, x); hi = Swift.max(hi, x)
        }
        guard n > 0 else { return }
        sum = s; uss = ss; min = lo; max = hi; mean = s / Double(n)
        var c = 0.0  // second pass for a stable corrected sum of squares
        for r in 0..<data.count { if let x = data.double(at: r) { c += (x - mean) * (x - mean) } }
        css = c
        variance = n > 1 ? c / Double(n - 1) : .nan
    }
}
