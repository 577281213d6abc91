@testable import ActionSetDeepLearn
import Testing

@Suite("deepLearn: crop windows of larger images")
struct CropWindowTests {
    @Test func theCentreWindowAndSeededRandomWindowsOfAnImage() throws {
        // A 5×4 (w×h) two-channel image whose values encode their place: (y·5 + x)·2 + channel.
        let image = (0..<(5 * 4 * 2)).map(Float.init)
        let centre = ImageData.crop(image, 5, 4, row: 0, shape: [2, 3, 2], window: .center)
        #expect(centre == [12, 13, 14, 15, 16, 17, 22, 23, 24, 25, 26, 27])   // x 1…3, y 1…2
        var places = Set<Float>()
        for row in 0..<40 {
            let w = ImageData.crop(image, 5, 4, row: row, shape: [2, 3, 2], window: .random(seed: 7))
            #expect(w.count == 12 && w == ImageData.crop(image, 5, 4, row: row, shape: [2, 3, 2], window: .random(seed: 7)))
            let x0 = Int(w[0]) / 2 % 5, y0 = Int(w[0]) / 10
            #expect(x0 <= 2 && y0 <= 2)
            let expected: [Float] = (0..<2).flatMap { y in (0..<6).map { k in Float(((y0 + y) * 5 + x0) * 2 + k) } }
            #expect(w == expected)
            places.insert(w[0])
        }
        #expect(places.count > 4, "windows at different places: \(places)")
        #expect(ImageData.crop(image, 5, 4, row: 3, shape: [4, 5, 2], window: .random(seed: 1)) == image)
    }
}
