// Test fixtures, generated in-process. PNGs of every variant come from RawPNG (Tests/RawPNG), a tiny
// writer independent of libpng; JPEGs come from our own encoder (libjpeg-turbo).
import SeededRandom

@testable import ImageCodec

/// Deterministic test pixels.
enum Pixels {
    /// A smooth, non-symmetric gradient (good for JPEG tolerances and orientation checks).
    static func gradient(_ w: Int, _ h: Int, _ format: PixelFormat) -> Image {
        var img = try! Image(width: w, height: h, format: format)
        for y in 0..<h {
            for x in 0..<w {
                for k in 0..<format.channels {
                    img[x, y, k] = UInt8(x * 180 / max(w - 1, 1) + y * 50 / max(h - 1, 1) + k * 7)  // ≤ 244, no wrap
                }
            }
        }
        return img
    }

    /// Reproducible noise (every value 0...255 likely present).
    static func noise(_ w: Int, _ h: Int, _ format: PixelFormat, seed: UInt64 = 1) -> Image {
        var rng = SplitMix64(seed: seed)
        let px = (0..<(w * h * format.channels)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return try! Image(width: w, height: h, format: format, pixels: px)
    }
}

/// Largest absolute sample difference between two same-shaped images.
func maxAbsDiff(_ a: Image, _ b: Image) -> Int {
    precondition(a.pixels.count == b.pixels.count)
    return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

/// Mean absolute sample difference.
func meanAbsDiff(_ a: Image, _ b: Image) -> Double {
    Double(zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(a.pixels.count)
}
