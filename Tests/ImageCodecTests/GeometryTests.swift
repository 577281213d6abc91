import Testing

@testable import ImageCodec

@Suite("Geometry: crop, flip, rotate")
struct GeometryTests {
    static let formats: [PixelFormat] = [.gray, .grayAlpha, .rgb, .rgba]

    @Test(arguments: formats)
    func cropMatchesReference(format: PixelFormat) throws {
        let img = Pixels.noise(17, 11, format)
        for r in [PixelRect(x: 0, y: 0, width: 17, height: 11), PixelRect(x: 3, y: 2, width: 5, height: 7),
                  PixelRect(x: 16, y: 10, width: 1, height: 1)] {
            #expect(try img.cropped(r) == GeometryReference.crop(img, r))
        }
        for bad in [PixelRect(x: -1, y: 0, width: 2, height: 2), PixelRect(x: 16, y: 0, width: 2, height: 1),
                    PixelRect(x: 0, y: 0, width: 0, height: 1)] {
            #expect(throws: ImageCodecError.self) { try img.cropped(bad) }
        }
    }

    @Test func centerCrop() throws {
        let img = Pixels.noise(10, 7, .rgb)
        #expect(try img.centerCropped(width: 4, height: 4) == GeometryReference.crop(img, PixelRect(x: 3, y: 1, width: 4, height: 4)))
        #expect(try img.centerCropped(width: 3, height: 2) == GeometryReference.crop(img, PixelRect(x: 3, y: 2, width: 3, height: 2)))
        #expect(throws: ImageCodecError.self) { try img.centerCropped(width: 11, height: 2) }
    }

    @Test(arguments: FlipDirection.allCases, formats)
    func flips(direction: FlipDirection, format: PixelFormat) {
        let img = Pixels.noise(13, 6, format)
        let f = img.flipped(direction)
        #expect(f == GeometryReference.flip(img, direction))
        #expect(f != img)
        #expect(f.flipped(direction) == img)
    }

    @Test(arguments: Rotation.allCases, formats)
    func rotations(rotation: Rotation, format: PixelFormat) {
        let img = Pixels.noise(9, 5, format)
        let r = img.rotated(rotation)
        #expect(r == GeometryReference.rotate(img, rotation))
        #expect(r != img)
    }

    @Test(arguments: formats)
    func rotationIdentities(format: PixelFormat) {
        let img = Pixels.noise(8, 3, format)
        let cw = img.rotated(.clockwise90)
        #expect((cw.width, cw.height) == (3, 8))
        #expect(cw.rotated(.clockwise90).rotated(.clockwise90).rotated(.clockwise90) == img)  // 4 × 90 = identity
        #expect(cw.rotated(.counterclockwise90) == img)
        #expect(cw.rotated(.clockwise90) == img.rotated(.rotate180))
        #expect(img.rotated(.rotate180) == img.flipped(.horizontal).flipped(.vertical))
        #expect(img.flipped(.both) == img.rotated(.rotate180))
        // transpose identity: rotate 90 cw = flip vertical then transpose, i.e. flip(h) ∘ transpose
        #expect(img.rotated(.counterclockwise90) == img.rotated(.clockwise90).rotated(.rotate180))
    }

    /// Clockwise means the top-left corner moves to the top-right.
    @Test func clockwiseByHand() throws {
        let img = try Image(width: 2, height: 2, format: .gray, pixels: [1, 2, 3, 4])  // 1 2 / 3 4
        #expect(img.rotated(.clockwise90).pixels == [3, 1, 4, 2])
        #expect(img.rotated(.counterclockwise90).pixels == [2, 4, 1, 3])
        #expect(Rotation(degreesClockwise: -90) == .counterclockwise90 && Rotation(degreesClockwise: 45) == nil)
    }
}
