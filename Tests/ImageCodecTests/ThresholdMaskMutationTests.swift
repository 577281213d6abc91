import SeededRandom
import Testing

@testable import ImageCodec

@Suite("Threshold, mask patches, mutations")
struct ThresholdMaskMutationTests {
    @Test(arguments: ThresholdType.allCases)
    func thresholdMatchesFormula(type: ThresholdType) {
        let img = Pixels.noise(16, 16, .rgba)
        let out = img.thresholded(level: 100, maxValue: 200, type: type)
        for i in 0..<out.pixels.count {
            let want = i % 4 == 3 ? img.pixels[i] : type.apply(img.pixels[i], level: 100, maxValue: 200)
            if out.pixels[i] != want {
                Issue.record("sample \(i): \(out.pixels[i]) != \(want)")
                return
            }
        }
        let binary = Pixels.noise(8, 8, .gray).thresholded(level: 127)
        #expect(binary.pixels.allSatisfy { $0 == 0 || $0 == 255 })
    }

    @Test func binaryByHand() throws {
        let img = try Image(width: 4, height: 1, format: .gray, pixels: [0, 80, 81, 255])
        #expect(img.thresholded(level: 80).pixels == [0, 0, 255, 255])
        #expect(img.thresholded(level: 80, type: .toZero).pixels == [0, 0, 81, 255])
    }

    @Test func fillRectangle() throws {
        var img = try Image(width: 6, height: 4, format: .rgba, fill: 9)
        img.fill(PixelRect(x: 1, y: 2, width: 3, height: 5), value: 0)  // overhangs the bottom: clipped
        for y in 0..<4 {
            for x in 0..<6 {
                let inside = (1...3).contains(x) && y >= 2
                #expect(img[x, y, 0] == (inside ? 0 : 9) && img[x, y, 2] == (inside ? 0 : 9))
                #expect(img[x, y, 3] == 9)  // alpha kept
            }
        }
        let before = img
        img.fill(PixelRect(x: 10, y: 10, width: 3, height: 3), value: 1)  // fully outside: no-op
        #expect(img == before)
    }

    @Test func slidingWindows() throws {
        let w = try Image.slidingWindows(width: 10, height: 6, patchWidth: 4, patchHeight: 3, step: 3)
        #expect(w.map(\.x) == [0, 3, 6, 0, 3, 6] && w.map(\.y) == [0, 0, 0, 3, 3, 3])
        #expect(throws: ImageCodecError.self) { try Image.slidingWindows(width: 3, height: 3, patchWidth: 4, patchHeight: 1, step: 1) }
    }

    @Test func pixelMutations() throws {
        let img = try Image(width: 3, height: 1, format: .gray, pixels: [0, 20, 250])
        #expect(img.inverted().pixels == [255, 235, 5])
        #expect(img.brightened(by: 32).pixels == [32, 52, 255])
        #expect(img.brightened(by: -32).pixels == [0, 0, 218])
        let rgb = try Image(width: 1, height: 1, format: .rgb, pixels: [10, 10, 250])
        #expect(rgb.colorShifted(by: [-20, 5, 10]).pixels == [0, 15, 255])
    }

    @Test func seededMutationsAreReproducible() throws {
        let img = Pixels.noise(12, 12, .rgb)
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7), c = SplitMix64(seed: 8)
        let ja = try img.mutated(.colorJittering, using: &a), jb = try img.mutated(.colorJittering, using: &b)
        #expect(ja == jb && ja != img)
        #expect(try ja != img.mutated(.colorJittering, using: &c))
        #expect(maxAbsDiff(ja, img) <= 16)
    }

    @Test(arguments: Mutation.allCases)
    func everyMutationRuns(m: Mutation) throws {
        var rng = SplitMix64(seed: 1)
        let img = Pixels.noise(10, 6, .rgb)
        let out = try img.mutated(m, using: &rng)
        #expect(out.format == .rgb)
        #expect(out != img)
    }

    @Test(arguments: [(16, 16), (15, 9), (1, 1), (2, 3), (7, 1)])
    func pyramidDownMatchesReference(w: Int, h: Int) {
        let img = Pixels.noise(w, h, .rgb)
        let out = img.pyramidDown()
        #expect((out.width, out.height) == ((w + 1) / 2, (h + 1) / 2))
        #expect(out == MutationReference.pyramidDown(img))
    }

    @Test func sharpenByHand() throws {
        let flat = try Image(width: 4, height: 4, format: .gray, fill: 100)
        #expect(flat.sharpened() == flat)  // kernel sums to 1
        var dot = flat
        dot[1, 1, 0] = 120
        let s = dot.sharpened()
        #expect(s[1, 1, 0] == 200 && s[2, 1, 0] == 80 && s[3, 3, 0] == 100)
    }
}

@Test func thresholdNames() {
    #expect(ThresholdType(casName: "to_zero") == .toZero && ThresholdType(casName: "BINARY_INV") == .binaryInverted)
    #expect(ThresholdType(casName: "otsu") == nil)
    #expect(ThresholdType.allCases.allSatisfy { ThresholdType(casName: $0.rawValue) == $0 })
}
