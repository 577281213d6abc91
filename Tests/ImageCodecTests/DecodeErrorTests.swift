import Testing

@testable import ImageCodec

/// Bad input is a thrown ImageCodecError with the right code — never a crash or exit().
@Suite("Decode errors")
struct DecodeErrorTests {
    static let png = try! ImageCodec.encodePNG(Pixels.noise(40, 30, .rgb))
    static let jpeg = try! ImageCodec.encodeJPEG(Pixels.gradient(40, 30, .rgb), quality: 90)
    static let progressive = try! ImageCodec.encodeJPEG(Pixels.gradient(40, 30, .rgb), quality: 90, progressive: true)

    /// (name, bytes, expected code)
    static let cases: [(String, [UInt8], ImageCodecError.Code)] = [
        ("zero bytes", [], .empty),
        ("text file", Array("hello, world\n".utf8), .unknownFormat),
        ("one byte", [0x89], .unknownFormat),
        ("GIF header", Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 20), .unknownFormat),
        ("PNG signature only", Array(png.prefix(8)), .corrupt),
        ("PNG cut in IHDR", Array(png.prefix(20)), .corrupt),
        ("PNG truncated in half", Array(png.prefix(png.count / 2)), .corrupt),
        ("PNG without last 13 bytes", Array(png.dropLast(13)), .corrupt),
        ("PNG with a flipped IDAT byte", flip(png, at: png.count / 2), .corrupt),
        ("PNG with a bad IHDR CRC", flip(png, at: 29), .corrupt),
        ("PNG with zero width", zeroWidth(png), .corrupt),
        ("JPEG SOI only", [0xFF, 0xD8, 0xFF], .corrupt),
        ("JPEG header only", Array(jpeg.prefix(200)), .corrupt),
        ("JPEG truncated in half", Array(jpeg.prefix(jpeg.count / 2)), .corrupt),
        ("progressive JPEG truncated", Array(progressive.prefix(progressive.count * 2 / 3)), .corrupt),
        ("JPEG SOI then garbage", [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0x42, count: 100), .corrupt),
        ("raw header only", Array(Pixels.noise(4, 4, .rgb).rawBytes().prefix(16)), .corrupt),
    ]

    static func flip(_ b: [UInt8], at i: Int) -> [UInt8] {
        var b = b
        b[i] ^= 0x5A
        return b
    }

    static func zeroWidth(_ b: [UInt8]) -> [UInt8] {
        var b = b
        b[16...19] = [0, 0, 0, 0]
        return b
    }

    @Test(arguments: cases)
    func throwsWithCode(name: String, bytes: [UInt8], code: ImageCodecError.Code) {
        let error = #expect(throws: ImageCodecError.self, "\(name)") { try ImageCodec.decode(bytes) }
        #expect(error?.code == code, "\(name): \(String(describing: error))")
        #expect(error.map { !$0.message.isEmpty } == true)
    }

    /// probe fails on everything whose header is unreadable.
    @Test func probeRejectsGarbage() {
        for bytes in [[], Array("hello".utf8), Array(Self.png.prefix(8)), [0xFF, 0xD8, 0xFF]] {
            #expect(throws: ImageCodecError.self) { try ImageCodec.probe(bytes) }
        }
    }

    /// Non-strict mode accepts a truncated JPEG (libjpeg pads the rest) at full size.
    @Test func lenientTruncatedJPEG() throws {
        let jpeg = try ImageCodec.encodeJPEG(Pixels.noise(200, 150, .rgb), quality: 90)
        let cut = Array(jpeg.prefix(jpeg.count * 3 / 4))
        #expect(throws: ImageCodecError.self) { try ImageCodec.decode(cut) }
        let img = try ImageCodec.decode(cut, options: DecodeOptions(strict: false))
        #expect((img.width, img.height) == (200, 150))
    }

    /// The libjpeg/libpng text is kept as the cause.
    @Test func causeIsKept() {
        let jpeg = try! ImageCodec.encodeJPEG(Pixels.noise(200, 150, .rgb), quality: 90)
        let e = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(Array(jpeg.prefix(jpeg.count / 2))) }
        #expect(e?.cause?.contains("Premature end") == true, "\(String(describing: e))")
        let p = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(Array(Self.png.prefix(8))) }
        #expect(p?.cause?.isEmpty == false, "\(String(describing: p))")
    }

    @Test func decompressionBombGuard() {
        let e = #expect(throws: ImageCodecError.self) {
            try ImageCodec.decode(Self.png, options: DecodeOptions(maxPixels: 100))
        }
        #expect(e?.code == .unsupported)
    }
}
