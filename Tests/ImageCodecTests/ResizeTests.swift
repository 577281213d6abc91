import Testing

@testable import ImageCodec

@Suite("Resize: fast kernels against naive references")
struct ResizeTests {
    /// (source w, h) → (target w, h): down, up, mixed, odd, to/from 1 pixel.
    static let shapes: [(Int, Int, Int, Int)] = [
        (64, 48, 32, 24), (64, 48, 224, 224), (37, 23, 11, 7), (7, 5, 31, 17), (10, 10, 1, 1),
        (1, 1, 5, 3), (512, 8, 224, 3), (3, 100, 9, 13), (100, 100, 99, 101),
    ]

    static let formats: [PixelFormat] = [.gray, .grayAlpha, .rgb, .rgba]

    /// Nearest: integer formula, so identical.
    @Test(arguments: shapes, formats)
    func nearest(shape: (Int, Int, Int, Int), format: PixelFormat) throws {
        let img = Pixels.noise(shape.0, shape.1, format)
        let fast = try img.resized(width: shape.2, height: shape.3, method: .nearest)
        #expect(fast == ResizeReference.nearest(img, width: shape.2, height: shape.3))
    }

    /// Bilinear: the reference evaluates the same Float32 expression per pixel, so identical.
    @Test(arguments: shapes, formats)
    func bilinear(shape: (Int, Int, Int, Int), format: PixelFormat) throws {
        let img = Pixels.noise(shape.0, shape.1, format)
        let fast = try img.resized(width: shape.2, height: shape.3, method: .bilinear)
        #expect(fast == ResizeReference.bilinear(img, width: shape.2, height: shape.3))
    }

    /// Area: Float32 separable vs Double 2-D sum: at most 1 LSB apart, and rarely (only where the
    /// exact mean is within float rounding of a .5 tie — common when upscaling, where many outputs
    /// are exact 50/50 blends).
    @Test(arguments: shapes, formats)
    func area(shape: (Int, Int, Int, Int), format: PixelFormat) throws {
        let img = Pixels.noise(shape.0, shape.1, format)
        let fast = try img.resized(width: shape.2, height: shape.3, method: .area)
        let slow = ResizeReference.area(img, width: shape.2, height: shape.3)
        #expect(maxAbsDiff(fast, slow) <= 1)
        let differing = zip(fast.pixels, slow.pixels).filter { $0 != $1 }.count
        #expect(differing * 20 <= fast.pixels.count, "\(differing) of \(fast.pixels.count) samples differ")
    }

    /// Hand-checked values: 2×1 → 4×1 bilinear with half-pixel centers.
    /// src x = (dx + 0.5) * 0.5 - 0.5 = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
    @Test func bilinearByHand() throws {
        let img = try Image(width: 2, height: 1, format: .gray, pixels: [0, 200])
        #expect(try img.resized(width: 4, height: 1).pixels == [0, 50, 150, 200])
        #expect(try img.resized(width: 4, height: 1, method: .nearest).pixels == [0, 0, 200, 200])
    }

    /// Area 4×1 → 2×1 averages pairs; 3×1 → 2×1 uses 1.5-pixel windows.
    @Test func areaByHand() throws {
        let img = try Image(width: 4, height: 1, format: .gray, pixels: [0, 100, 200, 255])
        #expect(try img.resized(width: 2, height: 1, method: .area).pixels == [50, 228])  // 227.5 rounds up
        let three = try Image(width: 3, height: 1, format: .gray, pixels: [0, 90, 180])
        #expect(try three.resized(width: 2, height: 1, method: .area).pixels == [30, 150])
    }

    /// A constant image stays constant under every method; same size is a no-op.
    @Test(arguments: ResizeMethod.allCases)
    func constantAndIdentity(method: ResizeMethod) throws {
        let img = try Image(width: 13, height: 9, format: .rgb, fill: 77)
        #expect(try img.resized(width: 40, height: 3, method: method).pixels.allSatisfy { $0 == 77 })
        let noise = Pixels.noise(13, 9, .rgb)
        #expect(try noise.resized(width: 13, height: 9, method: method) == noise)
    }

    @Test func invalidSizes() {
        let img = Pixels.noise(4, 4, .gray)
        for (w, h) in [(0, 4), (4, -1), (70000, 2)] {
            #expect(throws: ImageCodecError.self) { try img.resized(width: w, height: h) }
        }
    }
}
