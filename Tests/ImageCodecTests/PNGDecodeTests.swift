import Testing

@testable import ImageCodec
import RawPNG

@Suite("PNG decode: every color type and bit depth")
struct PNGDecodeTests {
    /// 8-bit variants: the samples come back unchanged in the native format.
    @Test(arguments: [
        (RawPNG.ColorType.gray, PixelFormat.gray), (.grayAlpha, .grayAlpha), (.rgb, .rgb), (.rgba, .rgba),
    ])
    func eightBit(type: RawPNG.ColorType, expected: PixelFormat) throws {
        let (w, h) = (7, 5)
        let samples = (0..<(w * h * type.samplesPerPixel)).map { ($0 * 37 + 11) % 256 }
        for interlaced in [false, true] {
            let png = RawPNG(width: w, height: h, colorType: type, samples: samples, interlaced: interlaced).encoded()
            let img = try ImageCodec.decode(png)
            #expect(img.format == expected)
            #expect((img.width, img.height) == (w, h))
            #expect(img.pixels == samples.map { UInt8($0) }, "interlaced: \(interlaced)")
            let info = try ImageCodec.probe(png)
            #expect(info == ImageInfo(format: .png, width: w, height: h, nativeFormat: expected, bitDepth: 8,
                                      isPalette: false, isInterlacedOrProgressive: interlaced))
        }
    }

    /// 16-bit: reduced to 8 bits as round(v / 257) (libpng with PNG_IMAGE_FLAG_16BIT_sRGB).
    @Test(arguments: [RawPNG.ColorType.gray, .grayAlpha, .rgb, .rgba])
    func sixteenBit(type: RawPNG.ColorType) throws {
        let (w, h) = (16, 16)
        let samples = (0..<(w * h * type.samplesPerPixel)).map { ($0 * 2_654_435_761) % 65536 }
        let png = RawPNG(width: w, height: h, colorType: type, bitDepth: 16, samples: samples).encoded()
        let img = try ImageCodec.decode(png)
        let expected = samples.map { UInt8((Double($0) / 257).rounded()) }
        #expect(img.channels == type.samplesPerPixel)
        #expect(zip(img.pixels, expected).allSatisfy { abs(Int($0) - Int($1)) <= 0 },
                "max diff \(zip(img.pixels, expected).map { abs(Int($0) - Int($1)) }.max()!)")
        #expect(try ImageCodec.probe(png).bitDepth == 16)
    }

    /// Low bit-depth gray is scaled to the full 0...255 range (1 bit: 0/255, 2 bit: ×85, 4 bit: ×17).
    @Test(arguments: [(1, 255), (2, 85), (4, 17)])
    func lowBitGray(depth: Int, scale: Int) throws {
        let (w, h) = (13, 3)
        let samples = (0..<(w * h)).map { $0 % (1 << depth) }
        let png = RawPNG(width: w, height: h, colorType: .gray, bitDepth: depth, samples: samples).encoded()
        let img = try ImageCodec.decode(png)
        #expect(img.format == .gray)
        #expect(img.pixels == samples.map { UInt8($0 * scale) })
    }

    /// Palette images become RGB, or RGBA when a tRNS chunk gives entries alpha.
    @Test(arguments: [8, 4, 2, 1], [false, true])
    func palette(depth: Int, withAlpha: Bool) throws {
        let entries = 1 << min(depth, 4)
        let palette: [(UInt8, UInt8, UInt8)] = (0..<entries).map { (i: Int) -> (UInt8, UInt8, UInt8) in
            let r = UInt8(i * 16), g = UInt8(255 - i * 9), b = UInt8(i * 3 + 1)
            return (r, g, b)
        }
        let alpha = (0..<entries).map { UInt8(255 - $0 * 10) }
        let (w, h) = (9, 4)
        let idx = (0..<(w * h)).map { ($0 * 5) % entries }
        var png = RawPNG(width: w, height: h, colorType: .palette, bitDepth: depth, samples: idx)
        png.palette = palette
        if withAlpha { png.transparency = alpha }
        let img = try ImageCodec.decode(png.encoded())
        #expect(img.format == (withAlpha ? .rgba : .rgb))
        var expected: [UInt8] = []
        for i in idx {
            expected += [palette[i].0, palette[i].1, palette[i].2]
            if withAlpha { expected.append(alpha[i]) }
        }
        #expect(img.pixels == expected)
        let info = try ImageCodec.probe(png.encoded())
        #expect(info.isPalette && info.nativeFormat == img.format && info.bitDepth == depth)
    }

    /// A requested format converts after decode: alpha dropped, gray replicated, BGR swapped.
    @Test func requestedFormats() throws {
        let samples = [10, 20, 30, 40, 200, 150, 100, 0]
        let png = RawPNG(width: 2, height: 1, colorType: .rgba, samples: samples).encoded()
        #expect(try ImageCodec.decode(png, as: .rgb).pixels == [10, 20, 30, 200, 150, 100])
        #expect(try ImageCodec.decode(png, as: .bgr).pixels == [30, 20, 10, 100, 150, 200])
        #expect(try ImageCodec.decode(png, as: .gray).pixels == [luma(10, 20, 30), luma(200, 150, 100)])
        let gray = RawPNG(width: 2, height: 1, colorType: .gray, samples: [5, 250]).encoded()
        #expect(try ImageCodec.decode(gray, as: .rgba).pixels == [5, 5, 5, 255, 250, 250, 250, 255])
    }

    /// RGB files (8-bit, 16-bit, palette) decoded straight to BGR by libpng give exactly the
    /// native decode with the channels swapped.
    @Test func directBGRMatchesNativeDecodeSwapped() throws {
        let (w, h) = (13, 7)
        var files: [[UInt8]] = [try ImageCodec.encodePNG(Pixels.noise(w, h, .rgb))]
        files.append(RawPNG(width: w, height: h, colorType: .rgb, bitDepth: 16, samples: (0..<(w * h * 3)).map { ($0 * 7919) % 65536 }).encoded())
        var pal = RawPNG(width: w, height: h, colorType: .palette, bitDepth: 8, samples: (0..<(w * h)).map { $0 % 5 })
        pal.palette = [(1, 2, 3), (40, 50, 60), (200, 100, 0), (0, 255, 128), (9, 9, 9)]
        files.append(pal.encoded())
        for f in files {
            let native = try ImageCodec.decode(f)
            #expect(native.format == .rgb)
            let direct = try ImageCodec.decode(f, as: .bgr)
            #expect(direct.format == .bgr)
            var swapped = native.pixels
            for i in stride(from: 0, to: swapped.count, by: 3) { swapped.swapAt(i, i + 2) }
            #expect(direct.pixels == swapped)
        }
    }

    /// Our encoder round-trips every 8-bit format exactly.
    @Test(arguments: PixelFormat.allCases)
    func encodeRoundTrip(format: PixelFormat) throws {
        let img = Pixels.noise(31, 17, format)
        let png = try ImageCodec.encodePNG(img)
        #expect(ImageFormat.sniff(png) == .png)
        let back = try ImageCodec.decode(png, as: format)
        #expect(back == img)
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(img, fast: true), as: format) == img)
    }
}
