import Testing

@testable import ImageCodec

@Suite("Color conversion")
struct ColorTests {
    /// Fixed-point BT.601 luma is within 1 of the Double formula for every RGB triple sampled,
    /// and exact on primaries.
    @Test func lumaAgainstReference() {
        var worst = 0
        for r in stride(from: 0, through: 255, by: 5) {
            for g in stride(from: 0, through: 255, by: 3) {
                for b in stride(from: 0, through: 255, by: 7) {
                    let (r, g, b) = (UInt8(r), UInt8(g), UInt8(b))
                    worst = max(worst, abs(Int(luma(r, g, b)) - Int(ColorReference.luma(r, g, b))))
                }
            }
        }
        #expect(worst <= 1)
        #expect(luma(255, 255, 255) == 255 && luma(0, 0, 0) == 0)
        #expect(luma(255, 0, 0) == 76 && luma(0, 255, 0) == 150 && luma(0, 0, 255) == 29)
    }

    @Test func colorToGrayHonoursOrder() throws {
        let rgb = try Image(width: 1, height: 1, format: .rgb, pixels: [255, 0, 0])
        let bgr = try Image(width: 1, height: 1, format: .bgr, pixels: [255, 0, 0])  // pure blue
        #expect(rgb.colorToGray().pixels == [76])
        #expect(bgr.colorToGray().pixels == [29])
        let rgba = try Image(width: 1, height: 1, format: .rgba, pixels: [0, 255, 0, 9])
        #expect(rgba.colorToGray() == (try Image(width: 1, height: 1, format: .grayAlpha, pixels: [150, 9])))
    }

    @Test(arguments: [PixelFormat.rgb, .rgba, .bgr, .bgra])
    func swapIsInvolution(format: PixelFormat) {
        let img = Pixels.noise(9, 7, format)
        let swapped = img.swappedRedBlue()
        #expect(swapped != img)
        #expect(swapped.swappedRedBlue() == img)
        #expect(swapped[3, 2, 0] == img[3, 2, 2] && swapped[3, 2, 1] == img[3, 2, 1])
        #expect(swapped.converted(to: format) == img)  // converting back by name = same pixels
    }

    @Test func grayToColorReplicates() {
        let g = Pixels.noise(5, 4, .gray)
        let c = g.grayToColor()
        #expect(c.format == .rgb)
        #expect((0..<20).allSatisfy { i in (0..<3).allSatisfy { c.pixels[i * 3 + $0] == g.pixels[i] } })
        #expect(c.colorToGray() == g)  // 601 weights sum to 1
    }

    /// Every format pair converts without trapping and keeps the size; alpha is added as 255.
    @Test(arguments: PixelFormat.allCases, PixelFormat.allCases)
    func allPairs(from: PixelFormat, to: PixelFormat) {
        let img = Pixels.noise(3, 2, from)
        let out = img.converted(to: to)
        #expect(out.format == to && out.width == 3 && out.height == 2 && out.pixels.count == 6 * to.channels)
        if to.hasAlpha && !from.hasAlpha { #expect(out[1, 1, to.channels - 1] == 255) }
    }
}
