import SeededRandom
import Testing

@testable import ImageCodec

@Suite("Histogram equalization")
struct EqualizeTests {
    /// Values OpenCV 5.1's `cv2.equalizeHist` gives for these inputs (computed once, outside the project).
    @Test func matchesOpenCVsEqualizeHist() throws {
        let a = try Image(width: 4, height: 4, format: .gray, pixels: [52, 55, 61, 59, 79, 61, 76, 61, 62, 59, 55, 104, 94, 85, 59, 71])
        #expect(a.histogramEqualized().pixels == [0, 34, 136, 85, 204, 136, 187, 136, 153, 85, 34, 255, 238, 221, 85, 170])
        // a 0/1 mask becomes 0/255 (DLPy shows segmentation masks this way); a constant image is unchanged
        #expect(try Image(width: 3, height: 2, format: .gray, pixels: [0, 0, 1, 0, 1, 1]).histogramEqualized().pixels == [0, 0, 255, 0, 255, 255])
        #expect(try Image(width: 3, height: 2, format: .gray, pixels: [7, 7, 7, 7, 7, 7]).histogramEqualized().pixels == [7, 7, 7, 7, 7, 7])
    }

    /// Against a rank formula written independently: a value's output is 255 × (pixels above the lowest value and at
    /// most it) / (pixels above the lowest value), per color channel; alpha is kept.
    @Test(arguments: [PixelFormat.gray, .rgb, .rgba])
    func matchesTheRankFormulaPerChannel(format: PixelFormat) throws {
        var rng = SplitMix64(seed: 11)
        let (w, h, c) = (13, 7, format.channels)
        let pixels = (0..<(w * h * c)).map { _ in UInt8(40 + rng.next() % 30) }
        let out = try Image(width: w, height: h, format: format, pixels: pixels).histogramEqualized()
        let cc = format.hasAlpha ? c - 1 : c
        for k in 0..<c {
            let channel = stride(from: k, to: pixels.count, by: c).map { pixels[$0] }
            let lo = channel.min()!
            let above = channel.filter { $0 > lo }.count
            for (i, v) in channel.enumerated() {
                let want: UInt8 = k >= cc ? v : v == lo ? 0 : UInt8((255 * Double(channel.filter { $0 > lo && $0 <= v }.count) / Double(above)).rounded())
                guard out.pixels[i * c + k] == want else { Issue.record("channel \(k) pixel \(i): \(out.pixels[i * c + k]) != \(want)"); return }
            }
        }
    }
}
