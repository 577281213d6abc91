// Normalization. Pixel-value operations in this library leave an alpha channel untouched and
// compute statistics over the color (or gray) channels only. Formulas: docs/images.md §Normalize.

/// Per-channel statistics of an image (population std: divide by N).
public struct ChannelStatistics: Sendable, Equatable {
    /// Mean sample value.
    public var mean: Double
    /// Population standard deviation.
    public var std: Double
    /// Smallest sample.
    public var min: UInt8
    /// Largest sample.
    public var max: UInt8
}

extension Image {
    /// Channels that pixel-value operations touch: all but a trailing alpha.
    public var colorChannels: Int { format.hasAlpha ? channels - 1 : channels }

    /// Smallest and largest sample over the color channels (alpha excluded).
    public func colorExtrema() -> (min: UInt8, max: UInt8) {
        var lo: UInt8 = 255, hi: UInt8 = 0
        pixels.withUnsafeBufferPointer { p in
            if !format.hasAlpha {
                for v in p {  // plain loop: vectorizes to pminub/pmaxub
                    lo = Swift.min(lo, v)
                    hi = Swift.max(hi, v)
                }
            } else {
                let c = channels
                for i in 0..<(width * height) {
                    for k in 0..<(c - 1) {
                        lo = Swift.min(lo, p[i * c + k])
                        hi = Swift.max(hi, p[i * c + k])
                    }
                }
            }
        }
        return (lo, hi)
    }

    /// The MINMAX transfer function as a 256-entry table (Double math, exact end points):
    /// `t = (v - min) / (max - min)`, `out = lo * (1 - t) + hi * t` with `lo = min(alpha, beta)`,
    /// `hi = max(alpha, beta)`. A constant image (max == min) maps every sample to `lo`.
    static func minMaxTable(min smin: UInt8, max smax: UInt8, alpha: Double, beta: Double) -> [Double] {
        let lo = Swift.min(alpha, beta), hi = Swift.max(alpha, beta)
        return (0..<256).map { v in
            guard smax > smin else { return lo }
            let t = (Double(v) - Double(smin)) / (Double(smax) - Double(smin))
            return lo * (1 - t) + hi * t
        }
    }

    /// Applies a 256-entry table to the color channels (alpha untouched).
    func applyingTable(_ table: [UInt8]) -> Image {
        let c = channels, cc = colorChannels
        return Image.build(width, height, format) { out in
            pixels.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { lut in
                    if cc == c {
                        for i in 0..<src.count { out[i] = lut[Int(src[i])] }
                    } else {
                        for i in 0..<src.count { out[i] = i % c == cc ? src[i] : lut[Int(src[i])] }
                    }
                }
            }
        }
    }

    /// `NORMALIZE` type MINMAX (OpenCV `NORM_MINMAX`): linearly maps the image's smallest color
    /// sample to `alpha` and its largest to `beta` (min/max taken over all color channels
    /// together), rounding half up and clamping to 0...255. A non-constant image's output has
    /// min exactly `alpha` and max exactly `beta` (for integral alpha, beta in 0...255); a constant
    /// image becomes all `min(alpha, beta)`.
    public func normalizedMinMax(alpha: Double = 0, beta: Double = 255) -> Image {
        let (smin, smax) = colorExtrema()
        let table = Self.minMaxTable(min: smin, max: smax, alpha: alpha, beta: beta)
        return applyingTable(table.map { roundClampU8(Float($0)) })
    }

    /// MINMAX without rounding: float output (alpha samples copied as floats).
    public func normalizedMinMaxFloat(alpha: Double = 0, beta: Double = 1) -> FloatImage {
        let (smin, smax) = colorExtrema()
        let table = Self.minMaxTable(min: smin, max: smax, alpha: alpha, beta: beta).map { Float($0) }
        let c = channels, cc = colorChannels
        let out = pixels.enumerated().map { i, v in (cc != c && i % c == cc) ? Float(v) : table[Int(v)] }
        return FloatImage(unchecked: width, height, format, out)
    }

    /// Mean, population std, min and max of each channel (alpha included, as the last entry).
    public func channelStatistics() -> [ChannelStatistics] {
        let c = channels, n = width * height
        var sum = [Int](repeating: 0, count: c), sq = sum
        var lo = [UInt8](repeating: 255, count: c), hi = [UInt8](repeating: 0, count: c)
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                for k in 0..<c {
                    let v = p[i * c + k]
                    sum[k] += Int(v)
                    sq[k] += Int(v) * Int(v)
                    lo[k] = Swift.min(lo[k], v)
                    hi[k] = Swift.max(hi[k], v)
                }
            }
        }
        return (0..<c).map { k in
            let mean = Double(sum[k]) / Double(n)
            let variance = Swift.max(Double(sq[k]) / Double(n) - mean * mean, 0)
            return ChannelStatistics(mean: mean, std: variance.squareRoot(), min: lo[k], max: hi[k])
        }
    }

    /// Per-channel standardization: `out = (v - mean[c]) / std[c]` as float32, in pixel units
    /// (pass 0...255 means, e.g. ImageNet RGB mean `[123.675, 116.28, 103.53]`, std
    /// `[58.395, 57.12, 57.375]`). `mean`/`std` need one entry per channel (alpha included; use
    /// mean 0, std 1 to keep it).
    /// - Throws: `.invalidArgument` on a count mismatch or a std that is not positive.
    public func normalizedMeanStd(mean: [Float], std: [Float]) throws(ImageCodecError) -> FloatImage {
        let c = channels
        guard mean.count == c, std.count == c else {
            throw .invalid("mean and std need \(c) values for a \(format) image, got \(mean.count) and \(std.count)")
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw .invalid("every std must be a positive number, got \(std)")
        }
        let inv = std.map { 1 / $0 }
        var out = [Float](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<(width * height) {
                    for k in 0..<c { o[i * c + k] = (Float(p[i * c + k]) - mean[k]) * inv[k] }
                }
            }
        }
        return FloatImage(unchecked: width, height, format, out)
    }
}

/// Naive references for the normalization tests.
public enum NormalizeReference {
    /// MINMAX straight from the formula, per sample, `(v - min) * (hi - lo) / (max - min) + lo`.
    public static func minMax(_ img: Image, alpha: Double, beta: Double) -> Image {
        let cc = img.colorChannels
        var smin = 255.0, smax = 0.0
        for y in 0..<img.height {
            for x in 0..<img.width {
                for k in 0..<cc {
                    smin = min(smin, Double(img[x, y, k]))
                    smax = max(smax, Double(img[x, y, k]))
                }
            }
        }
        let lo = min(alpha, beta), hi = max(alpha, beta)
        var out = img
        for y in 0..<img.height {
            for x in 0..<img.width {
                for k in 0..<cc {
                    let v = smax > smin ? (Double(img[x, y, k]) - smin) * (hi - lo) / (smax - smin) + lo : lo
                    out[x, y, k] = UInt8(min(max((v + 0.5).rounded(.down), 0), 255))
                }
            }
        }
        return out
    }
}
