import SeededRandom
import Testing

@testable import ImageCodec
import RawPNG

/// Damaged files must throw (or, for harmless damage, decode) — never crash. These loops found the
/// libpng struct-address bug (docs/images.md §Traps), so keep them.
@Suite("Robustness: truncation and byte corruption")
struct RobustnessTests {
    static func files() throws -> [(String, [UInt8])] {
        let img = Pixels.gradient(32, 24, .rgb)
        return [
            ("png", try ImageCodec.encodePNG(img)),
            ("png-palette", RawPNG(width: 8, height: 8, colorType: .palette, bitDepth: 4,
                                   samples: (0..<64).map { $0 % 16 }, palette: (0..<16).map { (UInt8($0), 0, 0) }).encoded()),
            ("png-interlaced", RawPNG(width: 9, height: 9, colorType: .rgb, samples: (0..<243).map { $0 % 256 }, interlaced: true).encoded()),
            ("jpeg", try ImageCodec.encodeJPEG(img)),
            ("jpeg-progressive", try ImageCodec.encodeJPEG(img, progressive: true)),
            ("jpeg-gray", try ImageCodec.encodeJPEG(img.converted(to: .gray))),
        ]
    }

    /// Every proper prefix throws (PNG: anything missing more than the 12-byte IEND chunk;
    /// JPEG: anything missing data before the 2-byte EOI marker).
    @Test func everyTruncationThrows() throws {
        for (name, bytes) in try Self.files() {
            let slack = name.hasPrefix("png") ? 12 : 2
            for n in 0..<(bytes.count - slack) {
                if (try? ImageCodec.decode(Array(bytes.prefix(n)))) != nil {
                    Issue.record("\(name) truncated to \(n) of \(bytes.count) bytes decoded without error")
                }
            }
            #expect(throws: Never.self) { try ImageCodec.decode(bytes) }
        }
    }

    /// Random single- and multi-byte corruption: decode or throw, and probe likewise.
    @Test func randomCorruptionNeverCrashes() throws {
        var rng = SplitMix64(seed: 42)
        var thrown = 0, total = 0
        for (_, bytes) in try Self.files() {
            for _ in 0..<150 {
                var damaged = bytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    damaged[Int.random(in: 0..<damaged.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                total += 1
                do { _ = try ImageCodec.decode(damaged, as: .rgb) } catch { thrown += 1 }
                _ = try? ImageCodec.probe(damaged)
            }
        }
        #expect(thrown > 0 && thrown <= total)
    }
}
