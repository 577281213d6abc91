import Testing

@testable import ImageCodec

@Suite("Raw storage format and batch decode")
struct RawImageAndBatchTests {
    @Test(arguments: PixelFormat.allCases)
    func uint8RoundTrip(format: PixelFormat) throws {
        let img = Pixels.noise(7, 3, format)
        let raw = img.rawBytes()
        #expect(raw.count == 16 + 7 * 3 * format.channels)
        #expect(Array(raw.prefix(8)) == [0x43, 0x4C, 0x52, 0x49, 1, 1, format.rawValue, UInt8(format.channels)])
        #expect(Array(raw[8..<16]) == [7, 0, 0, 0, 3, 0, 0, 0])
        #expect(try RawImage.decode(raw) == .uint8(img))
        #expect(try ImageCodec.decode(raw) == img)  // decode-on-read accepts raw cells too
        #expect(try ImageCodec.probe(raw).nativeFormat == format)
    }

    @Test func float32RoundTrip() throws {
        let f = try Pixels.noise(5, 4, .rgb).normalizedMeanStd(mean: [1, 2, 3], std: [4, 5, 6])
        let raw = f.rawBytes()
        #expect(raw.count == 16 + 5 * 4 * 3 * 4 && raw[5] == 2)
        // Payload is little-endian IEEE float32: check one sample by hand.
        let bits = UInt32(raw[16]) | UInt32(raw[17]) << 8 | UInt32(raw[18]) << 16 | UInt32(raw[19]) << 24
        #expect(Float(bitPattern: bits) == f.pixels[0])
        #expect(try RawImage.decode(raw) == .float32(f))
        let e = #expect(throws: ImageCodecError.self) { try ImageCodec.decode(raw) }
        #expect(e?.code == .unsupported)
    }

    @Test func rawRejectsBadHeaders() {
        var raw = Pixels.noise(2, 2, .rgb).rawBytes()
        raw[7] = 4  // channels disagree with RGB
        #expect(throws: ImageCodecError.self) { try RawImage.decode(raw) }
        #expect(throws: ImageCodecError.self) { try RawImage.decode(Array(raw.dropLast())) }
    }

    /// Results come back in input order; failures stay per-item; the transform runs.
    @Test func batchDecode() throws {
        var blobs: [[UInt8]] = []
        for i in 0..<24 {
            let img = Pixels.noise(20 + i, 10 + i, .rgb, seed: UInt64(i))
            blobs.append(i % 2 == 0 ? try ImageCodec.encodePNG(img) : try ImageCodec.encodeJPEG(img))
        }
        blobs[5] = Array("not an image".utf8)
        blobs[7] = []
        let out = ImageCodec.decodeBatch(blobs, as: .rgb, threads: 2) { img throws(ImageCodecError) in
            try img.resized(width: 8, height: 8).normalizedMinMax()
        }
        #expect(out.count == 24)
        for (i, r) in out.enumerated() {
            switch (i, r) {
            case (5, .failure(let e)): #expect(e.code == .unknownFormat)
            case (7, .failure(let e)): #expect(e.code == .empty)
            case (_, .success(let img)):
                #expect(img.width == 8 && img.colorExtrema() == (0, 255))
                let serial = try ImageCodec.decode(blobs[i], as: .rgb).resized(width: 8, height: 8).normalizedMinMax()
                #expect(img == serial, "item \(i)")
            default: Issue.record("item \(i): unexpected \(r)")
            }
        }
    }

    @Test func parallelMapOrder() {
        #expect(ImageCodec.parallelMap(count: 1000, threads: 4) { $0 * 2 } == (0..<1000).map { $0 * 2 })
        #expect(ImageCodec.parallelMap(count: 0) { $0 }.isEmpty)
    }
}
