import Testing

@testable import ImageCodec

@Suite("Float images for display")
struct FloatImageTests {
    /// Min/max scaling to 0...255, rounded half up: -1 → 0, 0 → 127.5 → 128, 1 → 255; a constant image is black.
    @Test func displayableScalesByTheImagesOwnRange() throws {
        let f = try FloatImage(width: 3, height: 1, format: .gray, pixels: [-1, 0, 1])
        #expect(f.displayable().pixels == [0, 128, 255])
        #expect(f.displayable().format == .gray)
        let flat = try FloatImage(width: 2, height: 1, format: .rgb, pixels: [3, 3, 3, 3, 3, 3])
        #expect(flat.displayable().pixels == [0, 0, 0, 0, 0, 0])
    }
}
