import CheckedSize
import Mutation
import RawPNG
import Testing

@testable import ImageCodec

/// Int64 coordinates and sizes from requests: every one gives an image or an error, never a trap, and
/// nothing larger than the limits is allocated.
@Suite("Hostile geometry: any coordinates give a result or an error")
struct HostileGeometryTests {
    static let img = Pixels.gradient(16, 16, .rgb)

    @Test("crop at x=2^63-1, width 1 (and other overflowing rectangles) is an error", arguments: [
        PixelRect(x: Int.max, y: 0, width: 1, height: 1), PixelRect(x: 0, y: Int.max, width: 1, height: 1),
        PixelRect(x: 1, y: 0, width: Int.max, height: 1), PixelRect(x: Int.min, y: 0, width: Int.max, height: 1),
        PixelRect(x: -1, y: 0, width: 2, height: 2), PixelRect(x: 15, y: 15, width: 2, height: 1), PixelRect(x: 0, y: 0, width: 0, height: 1),
    ])
    func cropOutside(_ r: PixelRect) {
        #expect(throws: ImageCodecError.self) { try Self.img.cropped(r) }
    }

    @Test func centerCropAnySize() throws {
        for (w, h) in [(Int.min, 1), (1, Int.min), (Int.max, Int.max), (0, 0), (17, 1)] {
            #expect(throws: ImageCodecError.self) { try Self.img.centerCropped(width: w, height: h) }
        }
        #expect(try Self.img.centerCropped(width: 16, height: 16) == Self.img)
    }

    @Test("a mask at x=2^63-1 (and any other rectangle) is clipped, never a trap")
    func maskAnywhere() {
        let edges = [Int.min, Int.min + 1, -1, 0, 1, 8, 15, 16, Int.max - 1, Int.max]
        for x in edges { for w in edges {
            let out = Self.img.filled(PixelRect(x: x, y: 0, width: w, height: 4), value: 9)
            #expect(out.width == 16 && out.pixels.count == Self.img.pixels.count)
        } }
        #expect(Self.img.filled(PixelRect(x: Int.max, y: 0, width: 1, height: 1), value: 9) == Self.img)
        // x = -2^63, width 2^63-1 ends at -1: nothing inside
        #expect(Self.img.filled(PixelRect(x: Int.min, y: 0, width: Int.max, height: 16), value: 9) == Self.img)
        // x = 8, width 2^63-1 covers the right half
        let half = Self.img.filled(PixelRect(x: 8, y: 0, width: Int.max, height: Int.max), value: 9)
        #expect(half[8, 0, 0] == 9 && half[7, 0, 0] == Self.img[7, 0, 0])
    }

    @Test("random Int64 rectangles: crop gives an image inside or an error; fill keeps the size")
    func randomRectangles() {
        var m = Mutator(seed: 11)
        func coordinate() -> Int {
            switch m.below(3) {
            case 0: Int(truncatingIfNeeded: m.next())
            case 1: [Int.min, Int.max, -1, 0, 1, 16, 17][m.below(7)]
            default: m.below(20) - 2
            }
        }
        for _ in 0..<5_000 {
            let r = PixelRect(x: coordinate(), y: coordinate(), width: coordinate(), height: coordinate())
            if let c = try? Self.img.cropped(r) { #expect(c.width == r.width && c.height == r.height && c.width <= 16) }
            #expect(Self.img.filled(r, value: 1).pixels.count == Self.img.pixels.count)
        }
    }

    @Test("resize to 65536×4096 (four 16×16 images) is refused before allocating")
    func resizeTooLarge() {
        for _ in 0..<4 {
            let e = #expect(throws: ImageCodecError.self) { try Self.img.resized(width: 65536, height: 4096) }
            #expect(e?.message.contains("32767") == true, "\(String(describing: e))")
        }
        #expect(throws: ImageCodecError.self) { try Self.img.resized(width: 32767, height: 32767) }   // > 2^27 pixels
        #expect(throws: ImageCodecError.self) { try Self.img.resized(width: Int.max, height: Int.max) }
        #expect(throws: ImageCodecError.self) { try Image(width: Int.max, height: 2, format: .rgb) }
        #expect(throws: ImageCodecError.self) { try FloatImage(width: 1 << 40, height: 1 << 40, format: .rgb, pixels: []) }
    }

    @Test func outputByteSizesBeforeRunning() throws {
        #expect(try Image.byteCount(width: 224, height: 224, format: .rgb) == 150_528)
        #expect(throws: ImageCodecError.self) { try Image.byteCount(width: 65536, height: 4096, format: .rgb) }
        let png = try ImageCodec.encodePNG(Self.img)
        #expect(try ImageCodec.decodedByteCount(png) == 16 * 16 * 3)
        #expect(try ImageCodec.decodedByteCount(png, as: .rgba) == 16 * 16 * 4)
        #expect(try ImageCodec.decodedByteCount(ImageCodec.encodeJPEG(Self.img), options: DecodeOptions(jpegScaleDenominator: 2)) == 8 * 8 * 3)
    }

    @Test func slidingWindowsAreCounted() throws {
        #expect(try Image.slidingWindowCount(width: 16, height: 16, patchWidth: 4, patchHeight: 4, step: 4) == 16)
        #expect(throws: ImageCodecError.self) {
            try Image.slidingWindows(width: 32767, height: 4096, patchWidth: 1, patchHeight: 1, step: 1)
        }
        #expect(throws: ImageCodecError.self) {
            try Image.slidingWindows(width: 16, height: 16, patchWidth: Int.max, patchHeight: 1, step: 1)
        }
    }

    @Test("decoders refuse headers over the caps before allocating pixels")
    func headersOverTheCaps() throws {
        let wide = RawPNG(width: 40_000, height: 1, colorType: .gray, samples: [Int](repeating: 0, count: 40_000)).encoded()
        let e = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(wide) }
        #expect(e?.code == .unsupported, "\(String(describing: e))")
        #expect(throws: ImageCodecError.self) { try ImageCodec.decodedByteCount(wide) }
        // A raw image header claiming 2^32-1 × 2^32-1 pixels.
        var raw = RawImage.header(width: 1, height: 1, format: .rgb, sampleType: 1) + [1, 2, 3]
        for i in 8..<16 { raw[i] = 0xFF }
        let r = #expect(throws: ImageCodecError.self) { try RawImage.decode(raw) }
        #expect(r?.code == .corrupt)
    }
}

/// Mutation fuzzers for the image formats caslite reads: seeded mutations of valid files; every case
/// decodes to an image within the limits or throws.
@Suite("Fuzz: PNG and JPEG")
struct ImageFuzzTests {
    /// Offsets of the length field of every PNG chunk and of IHDR's width and height.
    static func pngFields(_ b: [UInt8]) -> [Int] {
        var out = [16, 20], p = 8
        while p + 8 <= b.count {
            out.append(p)
            let length = b[p..<(p + 4)].reduce(0) { $0 << 8 | Int($1) }
            p += 12 + length
        }
        return out
    }

    /// Offsets of every JPEG segment length and of the SOF height and width.
    static func jpegFields(_ b: [UInt8]) -> [Int] {
        var out: [Int] = [], p = 2
        while p + 4 <= b.count, b[p] == 0xFF {
            let marker = b[p + 1]
            out.append(p + 2)
            if (0xC0...0xC2).contains(marker) { out += [p + 5, p + 7] }
            if marker == 0xDA { break }
            p += 2 + (Int(b[p + 2]) << 8 | Int(b[p + 3]))
        }
        return out
    }

    static func check(_ bytes: [UInt8], _ tally: inout FuzzTally) {
        tally.run {
            let img = try ImageCodec.decode(bytes, as: .rgb)
            #expect(img.width <= Limits.maxImageSide && img.height <= Limits.maxImageSide && img.width * img.height <= Limits.maxImagePixels)
            #expect(img.pixels.count == img.width * img.height * 3)
            #expect(try ImageCodec.decodedByteCount(bytes, as: .rgb) == img.pixels.count)
        }
        _ = try? ImageCodec.probe(bytes)
    }

    @Test func png() throws {
        let seeds = try RobustnessTests.files().filter { $0.0.hasPrefix("png") }.map(\.1)
        var m = Mutator(seed: 1), tally = FuzzTally("png")
        for i in 0..<fuzzIterations(default: 6000) {
            let seed = seeds[i % seeds.count]
            let mutated = m.mutate(seed, fields: Self.pngFields(seed))
            Self.check(i % 2 == 0 ? RawPNG.withFixedCRCs(mutated) : mutated, &tally)
        }
        tally.report()
        #expect(tally.errors > 0)
    }

    @Test func jpeg() throws {
        let seeds = try RobustnessTests.files().filter { $0.0.hasPrefix("jpeg") }.map(\.1)
        var m = Mutator(seed: 2), tally = FuzzTally("jpeg")
        for i in 0..<fuzzIterations(default: 6000) {
            let seed = seeds[i % seeds.count]
            Self.check(m.mutate(seed, fields: Self.jpegFields(seed)), &tally)
        }
        tally.report()
        #expect(tally.errors > 0)
    }
}
