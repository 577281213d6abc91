import DLEngine
import ImageCodec

/// Occlusion sensitivity (Zeiler & Fergus, arXiv 1311.2901) for one image: every mask position is
/// blacked out in turn and scored; a pixel's value is the mean true-class probability over the masks
/// covering it (DLPy's heat_map_analysis); the picture colours the drop from the unmasked probability.
struct HeatMap: Sendable {
    /// Masked images scored at a time.
    static let batch = 32

    var base: Float
    /// [H · W] mean masked probability (NaN where no mask covered the pixel)
    var mean: [Float]
    var worst: (x: Int, y: Int, p: Float)
    var width: Int, height: Int

    /// Scores `image` ([H, W, C] floats 0…255) and its masked copies with `model`; `cls` is the true class.
    static func compute(_ model: Model, image: [Float], shape: [Int], cls: Int, mask: (w: Int, h: Int), step: Int) throws -> HeatMap {
        let (h, w, c) = (shape[0], shape[1], shape[2])
        var positions: [(Int, Int)] = []
        for y in stride(from: 0, through: h - mask.h, by: step) { for x in stride(from: 0, through: w - mask.w, by: step) { positions.append((x, y)) } }
        var values = image
        values.reserveCapacity(image.count * (positions.count + 1))
        for (x0, y0) in positions {
            var m = image
            for y in y0..<(y0 + mask.h) { for x in x0..<(x0 + mask.w) { for ch in 0..<c { m[(y * w + x) * c + ch] = 0 } } }
            values += m
        }
        let data = ArrayDataSource(values: values, labels: [Int](repeating: 0, count: positions.count + 1), sampleShape: shape)
        let probs = try Trainer.predict(model, data: data, batchSize: batch).probabilities
        let k = probs.count / (positions.count + 1)
        var sum = [Float](repeating: 0, count: h * w), n = [Float](repeating: 0, count: h * w)
        var worst = (x: 0, y: 0, p: Float.infinity)
        for (i, (x0, y0)) in positions.enumerated() {
            let p = probs[(i + 1) * k + cls]
            if p < worst.p { worst = (x0, y0, p) }
            for y in y0..<(y0 + mask.h) { for x in x0..<(x0 + mask.w) { sum[y * w + x] += p; n[y * w + x] += 1 } }
        }
        return HeatMap(base: probs[cls], mean: zip(sum, n).map { $1 > 0 ? $0 / $1 : .nan }, worst: worst, width: w, height: h)
    }

    /// The image (model input: BGR, or gray) with the probability drop overlaid in a blue→red ramp (50 % blend; uncovered pixels unchanged).
    func overlay(on image: [Float], channels c: Int) throws -> Image {
        let drops = mean.map { $0.isNaN ? Float.nan : max(0, base - $0) }
        let top = max(drops.filter { !$0.isNaN }.max() ?? 0, 1e-6)
        var out = try Image(width: width, height: height, format: .rgb)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                // the model's input is BGR (ChannelOrder); the overlay is RGB
                let gray = c >= 3 ? (0..<3).map { image[i * c + 2 - $0] } : [Float](repeating: image[i * c], count: 3)
                let colour = drops[i].isNaN ? gray : Self.ramp(drops[i] / top)
                for ch in 0..<3 { out[x, y, ch] = UInt8(max(0, min(255, (drops[i].isNaN ? gray[ch] : 0.5 * gray[ch] + 0.5 * colour[ch]).rounded()))) }
            }
        }
        return out
    }

    /// 0 → blue, 0.5 → green, 1 → red.
    static func ramp(_ t: Float) -> [Float] {
        let r = max(0, min(1, 2 * t - 1)), b = max(0, min(1, 1 - 2 * t)), g = 1 - r - b
        return [r * 255, g * 255, b * 255]
    }
}
