import CASCore
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

extension ColumnStats {
    /// No values yet (fields as the type declares them).
    init() {}
}

/// A column's count, extremes, sums and central moments, mergeable across blocks of rows (Pébay's pairwise
/// formulas): what a worker of an MPI server (`serve --mpi`) answers for its block for `simple.summary`, combined on
/// the controller into the statistics `ColumnStats` and `Summary.shape` give on one process (equal up to rounding).
struct Moments: Sendable, Equatable {
    var n = 0, nmiss = 0
    var min = Double.infinity, max = -Double.infinity, sum = 0.0, uss = 0.0
    /// Mean and the sums of the 2nd, 3rd and 4th powers of the deviations from it.
    var mean = 0.0, m2 = 0.0, m3 = 0.0, m4 = 0.0

    init() {}

    /// Two passes: the mean, then the deviations (as `ColumnStats` does).
    init(_ data: ColumnData) {
        for r in 0..<data.count {
            guard let x = data.double(at: r) else { nmiss += 1; continue }
            n += 1; sum += x; uss += x * x; min = Swift.min(min, x); max = Swift.max(max, x)
        }
        guard n > 0 else { return }
        mean = sum / Double(n)
        for r in 0..<data.count {
            guard let x = data.double(at: r) else { continue }
            let d = x - mean, d2 = d * d
            m2 += d2; m3 += d2 * d; m4 += d2 * d2
        }
    }

    /// Adds the values `b` describes (Pébay 2008, eq. 1.2–1.4 with the third and fourth moments).
    mutating func merge(_ b: Moments) {
        nmiss += b.nmiss
        guard b.n > 0 else { return }
        guard n > 0 else { let missing = nmiss; self = b; nmiss = missing; return }
        let na = Double(n), nb = Double(b.n), nt = na + nb
        let d = b.mean - mean, d2 = d * d
        let m4 = m4 + b.m4 + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (nt * nt * nt)
            + 6 * d2 * (na * na * b.m2 + nb * nb * m2) / (nt * nt) + 4 * d * (na * b.m3 - nb * m3) / nt
        let m3 = m3 + b.m3 + d2 * d * na * nb * (na - nb) / (nt * nt) + 3 * d * (na * b.m2 - nb * m2) / nt
        let m2 = m2 + b.m2 + d2 * na * nb / nt
        mean += d * nb / nt
        (self.m2, self.m3, self.m4) = (m2, m3, m4)
        n += b.n; sum += b.sum; uss += b.uss
        min = Swift.min(min, b.min); max = Swift.max(max, b.max)
    }

    /// The statistics of `ColumnStats` (NaN where it has NaN).
    var stats: ColumnStats {
        var s = ColumnStats()
        s.n = n; s.nmiss = nmiss
        guard n > 0 else { return s }
        s.min = min; s.max = max; s.sum = sum; s.uss = uss; s.mean = mean; s.css = m2
        s.variance = n > 1 ? m2 / Double(n - 1) : .nan
        return s
    }

    /// `Summary.shape`'s skewness and kurtosis from the moments.
    var shape: (skewness: Double, kurtosis: Double) {
        let s = stats, nd = Double(n), sd = s.variance.squareRoot()
        guard n > 2, sd > 0 else { return (.nan, .nan) }
        let z3 = m3 / (sd * sd * sd), z4 = m4 / (sd * sd * sd * sd)
        let skew = nd / ((nd - 1) * (nd - 2)) * z3
        guard n > 3 else { return (skew, .nan) }
        return (skew, nd * (nd + 1) / ((nd - 1) * (nd - 2) * (nd - 3)) * z4 - 3 * (nd - 1) * (nd - 1) / ((nd - 2) * (nd - 3)))
    }

    /// The columns of a partial result table, one row per summarised column.
    static let columns: [(String, ColumnType)] = [("Column", .varchar), ("N", .int64), ("NMiss", .int64), ("Min", .double), ("Max", .double),
                                                  ("Sum", .double), ("USS", .double), ("Mean", .double), ("M2", .double), ("M3", .double), ("M4", .double)]

    var row: [Value] {
        [.int(Int64(n)), .int(Int64(nmiss)), .double(min), .double(max), .double(sum), .double(uss), .double(mean), .double(m2), .double(m3), .double(m4)]
    }

    /// Row `r` of a partial result table.
    init(partial t: DataTable, row r: Int) throws(ActionError) {
        guard t.columns.count == Self.columns.count, r < t.rowCount else { throw ActionError(.internalError, "a worker's summary partial has the wrong shape") }
        func d(_ c: Int) -> Double { t.columns[c].data.double(at: r) ?? .nan }
        n = Int(d(1)); nmiss = Int(d(2))
        min = d(3); max = d(4); sum = d(5); uss = d(6); mean = d(7); m2 = d(8); m3 = d(9); m4 = d(10)
    }
}
