import CASCore
import CheckedSize
import Foundation

/// Equal-width bins over a column's non-missing range: `[lower + i·width, lower + (i+1)·width)`,
/// `count` of them, the last one also holding the maximum.
///
/// Automatic bins (no `nBins`, no `binWidth`): about ∛(2n) bins (Terrell and Scott's oversmoothed
/// number), their width rounded to a "nice" number (1, 2, 2.5 or 5 × 10^k) and the first bin starting
/// at a multiple of it. On SAS's cars data that gives MPG_City 11 bins and MPG_Highway 12, as CAS does.
struct Bins: Sendable, Equatable {
    var lower: Double
    var width: Double
    var count: Int

    /// Most bins one variable may have.
    static let maxBins = Limits.maxHistogramBins

    /// Bins for `n` non-missing values from `min` to `max`; nil when `n` is 0. `nBins` splits the range
    /// exactly; `binWidth` starts the first bin at a multiple of it.
    static func make(min: Double, max: Double, n: Int, nBins: Int?, binWidth: Double?) throws(ActionError) -> Bins? {
        guard n > 0 else { return nil }
        let range = max - min
        // values near ±1.8e308 overflow the range (and widths and bin counts made from it): refused, named
        guard min.isFinite, max.isFinite, range.isFinite else {
            throw ActionError(.parameterValue, "Values from \(min) to \(max) span more than a double can hold; bins cannot be made over them "
                              + "(filter the extreme values with where=).", parameter: "table")
        }
        if let k = nBins { return Bins(lower: min, width: range > 0 ? range / Double(k) : 1, count: k) }
        let w = binWidth ?? (range > 0 ? nice(range / cbrt(2 * Double(n)).rounded(.up)) : 1)
        let lower = floor(min / w) * w
        let count = floor((max - lower) / w) + 1
        guard w.isFinite, w > 0, lower.isFinite, count.isFinite, count >= 1, count <= Double(maxBins) else {
            throw ActionError(.parameterRange, "binWidth=\(w) makes more than \(maxBins) bins for values from \(min) to \(max); use a wider bin.",
                              parameter: "binWidth")
        }
        return Bins(lower: lower, width: w, count: Int(count))
    }

    /// The nearest of 1, 2, 2.5, 5 and 10 times a power of ten.
    static func nice(_ raw: Double) -> Double {
        let p = pow(10, floor(log10(raw)))
        let f = raw / p
        return [1, 2, 2.5, 5, 10].min { abs($0 - f) < abs($1 - f) }! * p
    }

    /// The bin of `x`; the maximum (and anything past the last bin's end by rounding) goes into the last bin.
    func index(_ x: Double) -> Int {
        let i = floor((x - lower) / width)
        guard i.isFinite else { return i == .infinity ? count - 1 : 0 }   // (NaN: a missing value; callers skip them)
        return Swift.min(count - 1, Swift.max(0, i >= Double(count) ? count - 1 : Int(Swift.max(i, 0))))
    }

    func lowerBound(_ i: Int) -> Double { lower + Double(i) * width }
}
