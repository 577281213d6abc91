import CJPEGShim
import Testing

@testable import ImageCodec

@Suite("JPEG decode and encode")
struct JPEGDecodeTests {
    /// Baseline and progressive, gray and RGB: decode ≈ source (lossy, smooth gradient).
    @Test(arguments: [PixelFormat.gray, .rgb], [false, true])
    func variants(format: PixelFormat, progressive: Bool) throws {
        let src = Pixels.gradient(64, 48, format)
        let jpg = try ImageCodec.encodeJPEG(src, quality: 95, progressive: progressive)
        #expect(ImageFormat.sniff(jpg) == .jpeg)
        let info = try ImageCodec.probe(jpg)
        #expect(info == ImageInfo(format: .jpeg, width: 64, height: 48, nativeFormat: format, bitDepth: 8,
                                  isPalette: false, isInterlacedOrProgressive: progressive))
        let img = try ImageCodec.decode(jpg)
        #expect(img.format == format && img.width == 64 && img.height == 48)
        #expect(meanAbsDiff(img, src) < 1.5)
        #expect(maxAbsDiff(img, src) <= 12)
    }

    /// BGR / RGBA / BGRA come straight from libjpeg-turbo and equal the permuted RGB decode.
    @Test(arguments: [PixelFormat.bgr, .rgba, .bgra, .gray, .grayAlpha])
    func layouts(format: PixelFormat) throws {
        let jpg = try ImageCodec.encodeJPEG(Pixels.gradient(33, 21, .rgb), quality: 80)
        let rgb = try ImageCodec.decode(jpg, as: .rgb)
        #expect(try ImageCodec.decode(jpg, as: format) == rgb.converted(to: format))
    }

    /// CMYK (Adobe, inverted) decodes to RGB: stored C'M'Y'K' = (r, g, b, 255) means RGB (r, g, b).
    @Test func cmyk() throws {
        let rgb = Pixels.gradient(24, 16, .rgb)
        var cmyk: [UInt8] = []
        for i in 0..<(24 * 16) { cmyk += [rgb.pixels[3 * i], rgb.pixels[3 * i + 1], rgb.pixels[3 * i + 2], 255] }
        let jpg = try JPEGCodec.encode(samples: cmyk, width: 24, height: 16, layout: JPEGSHIM_CMYK, quality: 98, progressive: false)
        #expect(try ImageCodec.probe(jpg).nativeFormat == .rgb)
        let img = try ImageCodec.decode(jpg)
        #expect(img.format == .rgb)
        #expect(meanAbsDiff(img, rgb) < 2)
    }

    /// DCT scaling decodes at 1/n size, close to an area downscale of the full decode.
    @Test(arguments: [2, 4, 8])
    func scaledDecode(denominator: Int) throws {
        let jpg = try ImageCodec.encodeJPEG(Pixels.gradient(128, 96, .rgb), quality: 95)
        let small = try ImageCodec.decode(jpg, options: DecodeOptions(jpegScaleDenominator: denominator))
        #expect((small.width, small.height) == (128 / denominator, 96 / denominator))
        let full = try ImageCodec.decode(jpg).resized(width: small.width, height: small.height, method: .area)
        #expect(meanAbsDiff(small, full) < 3)
        #expect(throws: ImageCodecError.self) {
            try ImageCodec.decode(jpg, options: DecodeOptions(jpegScaleDenominator: 3))
        }
    }

    /// Every input format encodes (alpha dropped, BGR understood) to the same picture.
    @Test(arguments: PixelFormat.allCases)
    func encodeAnyFormat(format: PixelFormat) throws {
        let rgb = Pixels.gradient(40, 30, .rgb)
        let src = format.isGray ? rgb.converted(to: .gray).converted(to: format) : rgb.converted(to: format)
        let back = try ImageCodec.decode(ImageCodec.encodeJPEG(src, quality: 95))
        #expect(back.format == (format.isGray ? .gray : .rgb))
        let expected = format.isGray ? rgb.converted(to: .gray) : rgb
        #expect(meanAbsDiff(back, expected) < 1.5)
    }

    @Test func qualityRange() throws {
        let img = Pixels.gradient(8, 8, .rgb)
        #expect(throws: ImageCodecError.self) { try ImageCodec.encodeJPEG(img, quality: 0) }
        #expect(throws: ImageCodecError.self) { try ImageCodec.encodeJPEG(img, quality: 101) }
        let small = try ImageCodec.encodeJPEG(Pixels.noise(64, 64, .rgb), quality: 10)
        let large = try ImageCodec.encodeJPEG(Pixels.noise(64, 64, .rgb), quality: 100)
        #expect(small.count < large.count)
    }
}

@Test func scaleDenominatorChoice() {
    #expect(DecodeOptions.jpegScaleDenominator(sourceWidth: 512, sourceHeight: 512, atLeastWidth: 224, height: 224) == 2)
    #expect(DecodeOptions.jpegScaleDenominator(sourceWidth: 2000, sourceHeight: 1000, atLeastWidth: 224, height: 224) == 4)
    #expect(DecodeOptions.jpegScaleDenominator(sourceWidth: 225, sourceHeight: 225, atLeastWidth: 224, height: 224) == 1)
    #expect(DecodeOptions.jpegScaleDenominator(sourceWidth: 1800, sourceHeight: 1800, atLeastWidth: 224, height: 224) == 8)
}
