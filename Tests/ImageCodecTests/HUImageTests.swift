import ImageCodec
import Testing

/// Hounsfield images: the windowing kernel against a naive per-pixel twin, and the CLRI int16 round trip.
@Suite("HUImage")
struct HUImageTests {
    /// DICOM PS3.3 C.11.2.1.2.1 (linear), 8-bit, rounded half up, one pixel at a time in Double.
    static func naive(_ x: Int16, _ c: Double, _ w: Double) -> UInt8 {
        let v = Double(x)
        if v <= c - 0.5 - (w - 1) / 2 { return 0 }
        if v > c - 0.5 + (w - 1) / 2 { return 255 }
        return UInt8(min(255, max(0, (((v - (c - 0.5)) / (w - 1) + 0.5) * 255 + 0.5).rounded(.down))))
    }

    /// Every int16 value, in a 256 × 256 image.
    static let all = try! HUImage(width: 256, height: 256, pixels: (0..<65536).map { Int16(truncatingIfNeeded: $0 - 32768) })

    @Test(arguments: [(-600.0, 1500.0), (40, 400), (0, 1), (0.5, 1), (-1000.5, 2.5), (3071, 2), (-32768, 65536), (100, 4096), (12.25, 7.5)])
    func windowMatchesTheNaiveFormula(center: Double, width: Double) {
        let out = Self.all.windowed(HUWindow(center: center, width: width))
        #expect(out.format == .gray && out.width == 256 && out.height == 256)
        let want = Self.all.pixels.map { Self.naive($0, center, width) }
        let bad = zip(out.pixels, want).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(bad.isEmpty, "\(bad.count) differ, first at HU \(bad.first.map { Int($0.offset) - 32768 } ?? 0)")
    }

    /// MONOCHROME1 (the lowest value white): the same HU, the window's naive result turned over (255 − v).
    @Test(arguments: [(-600.0, 1500.0), (40, 400), (0, 1), (-1000.5, 2.5)])
    func invertedWindowIsTheNaiveFormulaTurnedOver(center: Double, width: Double) throws {
        let inverted = try HUImage(width: 256, height: 256, pixels: Self.all.pixels, inverted: true)
        let out = inverted.windowed(HUWindow(center: center, width: width))
        #expect(out.pixels == Self.all.pixels.map { 255 - Self.naive($0, center, width) })
        #expect(try RawImage.decode(inverted.rawBytes()) == .int16(inverted) && inverted.rawBytes()[5] == 4)
        #expect(try ImageCodec.probe(inverted.rawBytes()).bitDepth == 16)
        #expect(try RawImage.decode(Self.all.rawBytes()) != .int16(inverted), "the flag survives the round trip")
    }

    @Test func presetsAndMonotonicity() {
        #expect(HUWindow.lung == HUWindow(center: -600, width: 1500))
        #expect(HUWindow.mediastinum == HUWindow(center: 40, width: 400))
        let out = Self.all.windowed(.lung).pixels
        #expect(zip(out, out.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(out[Int(-1350 + 32768)] == 0 && out[Int(150 + 32768)] == 255)
    }

    @Test func rawRoundTripAndRefusals() throws {
        let img = try HUImage(width: 3, height: 2, pixels: [-1024, 0, 40, 3071, -32768, 32767])
        #expect(try RawImage.decode(img.rawBytes()) == .int16(img))
        #expect(try ImageCodec.probe(img.rawBytes()).bitDepth == 16)
        #expect(throws: ImageCodecError.self) { try ImageCodec.decode(img.rawBytes()) }
        var bad = img.rawBytes()
        bad[6] = PixelFormat.rgb.rawValue; bad[7] = 3                      // int16 is gray only
        #expect(throws: ImageCodecError.self) { try RawImage.decode(bad) }
        #expect(throws: ImageCodecError.self) { try RawImage.decode(Array(img.rawBytes().dropLast())) }
        #expect(throws: ImageCodecError.self) { try HUImage(width: 2, height: 2, pixels: [1, 2, 3]) }
    }

    @Test func volumeRoundTripSlicesAndRefusals() throws {
        let v = try HUVolume(width: 3, height: 2, depth: 4, spacing: SIMD3(0.5, 0.75, 2.5), origin: SIMD3(-1, 2, 30.5),
                             pixels: (0..<24).map { Int16($0 * 100 - 1000) })
        #expect(try HUVolume.decode(v.rawBytes()) == v)
        let m1 = try HUVolume(width: 3, height: 2, depth: 4, spacing: v.spacing, origin: v.origin, pixels: v.pixels, inverted: true)
        #expect(try HUVolume.decode(m1.rawBytes()) == m1 && m1 != v && m1.rawBytes()[5] == 4)
        #expect([HUVolume.Axis.axial, .coronal, .sagittal].allSatisfy { m1.slice(1, along: $0).inverted && !v.slice(1, along: $0).inverted })
        #expect(HUVolume.isVolume(v.rawBytes()) && ImageFormat.sniff(v.rawBytes()) == nil)
        // naive twins: voxel (x, y, z) = pixels[(z·H + y)·W + x]; coronal/sagittal put the last slice on top
        func voxel(_ x: Int, _ y: Int, _ z: Int) -> Int16 { v.pixels[(z * 2 + y) * 3 + x] }
        #expect(v.slice(2, along: .axial).pixels == (0..<6).map { voxel($0 % 3, $0 / 3, 2) })
        #expect(v.slice(1, along: .coronal).pixels == (0..<12).map { voxel($0 % 3, 1, 3 - $0 / 3) })
        #expect(v.slice(2, along: .sagittal).pixels == (0..<8).map { voxel(2, $0 % 2, 3 - $0 / 2) })
        #expect([HUVolume.Axis.axial, .coronal, .sagittal].map { v.count(along: $0) } == [4, 2, 3])
        #expect(throws: ImageCodecError.self) { try HUVolume.decode(Array(v.rawBytes().dropLast())) }
        var huge = v.rawBytes()
        for i in 16..<20 { huge[i] = 0xFF }                                  // depth 2^32−1: refused before allocating
        #expect(throws: ImageCodecError.self) { try HUVolume.decode(huge) }
        #expect(throws: ImageCodecError.self) { try HUVolume.voxels(width: 32767, height: 32767, depth: 2) }
    }
}

/// LUNG_FILTER's measure against a naive twin: "outside" grows pass by pass from the border until nothing changes.
@Suite("HUImage lung area")
struct LungAreaTests {
    static func naive(_ img: HUImage, lower: Int, upper: Int) -> (lung: Int, body: Int) {
        let (w, h) = (img.width, img.height)
        let air = img.pixels.map { Int($0) <= upper }
        var outside = (0..<(w * h)).map { i in air[i] && (i % w == 0 || i % w == w - 1 || i / w == 0 || i / w == h - 1) }
        var changed = true
        while changed {
            changed = false
            for i in 0..<(w * h) where air[i] && !outside[i] {
                let (x, y) = (i % w, i / w)
                if (x > 0 && outside[i - 1]) || (x < w - 1 && outside[i + 1]) || (y > 0 && outside[i - w]) || (y < h - 1 && outside[i + w]) {
                    outside[i] = true
                    changed = true
                }
            }
        }
        let body = (0..<(w * h)).filter { !outside[$0] }
        return (body.filter { air[$0] && Int(img.pixels[$0]) >= lower }.count, body.count)
    }

    @Test(arguments: [(1, 16, 12), (2, 1, 9), (3, 9, 1), (4, 33, 29), (5, 2, 2)])
    func matchesTheNaiveFill(seed: Int, width: Int, height: Int) throws {
        // blobs of air, tissue and bone, with air channels reaching the border
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
        let px: [Int16] = (0..<(width * height)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return [-1024, -900, -700, -450, -390, 40, 400][Int(state >> 61) % 7]
        }
        let img = try HUImage(width: width, height: height, pixels: px)
        for (lo, up) in [(-1000, -400), (-950, -600), (-2000, 0)] {
            let got = img.lungArea(lower: lo, upper: up), want = Self.naive(img, lower: lo, upper: up)
            #expect(got == want, "\(lo)..\(up)")
        }
    }

    @Test func aBodyWithTwoLungs() throws {
        // 12×8: air frame, body of 40 HU, two lungs of −800 HU (2 + 3 pixels), one air pocket joined to the outside
        var px = [Int16](repeating: -1000, count: 96)
        for y in 1..<7 { for x in 1..<11 { px[y * 12 + x] = 40 } }
        for i in [3 * 12 + 3, 4 * 12 + 3, 3 * 12 + 8, 4 * 12 + 8, 5 * 12 + 8] { px[i] = -800 }
        px[1 * 12 + 5] = -800  // touches the frame: outside
        let (lung, body) = try HUImage(width: 12, height: 8, pixels: px).lungArea()
        #expect(lung == 5 && body == 59)
    }
}
