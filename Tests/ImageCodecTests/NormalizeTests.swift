import Testing

@testable import ImageCodec

@Suite("Normalize")
struct NormalizeTests {
    /// MINMAX output spans exactly alpha...beta for non-constant input, and equals the reference.
    @Test(arguments: [(0.0, 255.0), (10.0, 200.0), (255.0, 0.0), (0.0, 1.0), (50.0, 51.0)], [PixelFormat.gray, .rgb, .rgba])
    func minMaxBounds(range: (Double, Double), format: PixelFormat) throws {
        let (alpha, beta) = range
        // A low-contrast image (values 60...139) so the stretch is non-trivial.
        var img = Pixels.noise(23, 17, format)
        img = img.applyingTable((0...255).map { UInt8(60 + $0 * 80 / 256) })
        let out = img.normalizedMinMax(alpha: alpha, beta: beta)
        let (lo, hi) = out.colorExtrema()
        #expect(Double(lo) == min(alpha, beta))
        #expect(Double(hi) == max(alpha, beta))
        #expect(out == NormalizeReference.minMax(img, alpha: alpha, beta: beta))
        if format.hasAlpha {  // alpha untouched
            #expect(stride(from: 3, to: out.pixels.count, by: 4).allSatisfy { out.pixels[$0] == img.pixels[$0] })
        }
    }

    /// Float MINMAX: exact end points and monotone.
    @Test func minMaxFloatExact() {
        let img = Pixels.noise(16, 16, .rgb).applyingTable((0...255).map { UInt8(3 + $0 / 2) })
        let f = img.normalizedMinMaxFloat(alpha: -1, beta: 1)
        #expect(f.pixels.min() == -1 && f.pixels.max() == 1)
        let order = zip(img.pixels, f.pixels).sorted { $0.0 < $1.0 }.map(\.1)
        #expect(zip(order, order.dropFirst()).allSatisfy { $0 <= $1 })
    }

    /// A constant image maps to min(alpha, beta) everywhere (OpenCV's behaviour).
    @Test func constantImage() throws {
        let img = try Image(width: 5, height: 5, format: .rgb, fill: 42)
        #expect(img.normalizedMinMax(alpha: 10, beta: 200).pixels.allSatisfy { $0 == 10 })
        #expect(img.normalizedMinMaxFloat(alpha: 0, beta: 1).pixels.allSatisfy { $0 == 0 })
    }

    /// Hand-checked: [100, 150, 200] → [0, 128, 255] (127.5 rounds half up).
    @Test func minMaxByHand() throws {
        let img = try Image(width: 3, height: 1, format: .gray, pixels: [100, 150, 200])
        #expect(img.normalizedMinMax().pixels == [0, 128, 255])
    }

    @Test func statistics() throws {
        let img = try Image(width: 2, height: 2, format: .rgb, pixels: [0, 10, 255, 2, 10, 255, 4, 10, 0, 6, 10, 0])
        let s = img.channelStatistics()
        #expect(s[0] == ChannelStatistics(mean: 3, std: 5.0.squareRoot(), min: 0, max: 6))
        #expect(s[1] == ChannelStatistics(mean: 10, std: 0, min: 10, max: 10))
        #expect(s[2].mean == 127.5 && s[2].std == 127.5)
    }

    /// Standardizing with the image's own statistics gives mean 0, std 1 per channel.
    @Test func meanStd() throws {
        let img = Pixels.noise(32, 32, .rgb)
        let s = img.channelStatistics()
        let f = try img.normalizedMeanStd(mean: s.map { Float($0.mean) }, std: s.map { Float($0.std) })
        for k in 0..<3 {
            let ch = stride(from: k, to: f.pixels.count, by: 3).map { Double(f.pixels[$0]) }
            let mean = ch.reduce(0, +) / Double(ch.count)
            let std = (ch.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(ch.count)).squareRoot()
            #expect(abs(mean) < 1e-4 && abs(std - 1) < 1e-4)
        }
        #expect(f.pixels[0] == (Float(img.pixels[0]) - Float(s[0].mean)) / Float(s[0].std))
        #expect(throws: ImageCodecError.self) { try img.normalizedMeanStd(mean: [0, 0], std: [1, 1]) }
        #expect(throws: ImageCodecError.self) { try img.normalizedMeanStd(mean: [0, 0, 0], std: [1, 0, 1]) }
    }
}

@Suite("Statistics accumulators")
struct StatisticsAccumulatorTests {
    /// Accumulating images one by one (or merging halves) equals the statistics of one big image.
    @Test func channelAccumulatorMatchesConcatenation() throws {
        let a = Pixels.noise(8, 4, .rgb, seed: 1), b = Pixels.noise(8, 6, .rgb, seed: 2)
        let both = try Image(width: 8, height: 10, format: .rgb, pixels: a.pixels + b.pixels)
        var acc = ChannelAccumulator()
        try acc.add(a)
        try acc.add(b)
        #expect(acc.statistics() == both.channelStatistics())
        var left = ChannelAccumulator(), right = ChannelAccumulator()
        try left.add(a)
        try right.add(b)
        try left.merge(right)
        #expect(left == acc)
        #expect(throws: ImageCodecError.self) { try acc.add(Pixels.noise(2, 2, .gray)) }
    }

    @Test func meanImage() throws {
        var acc = MeanImageAccumulator()
        #expect(acc.mean() == nil)
        try acc.add(try Image(width: 2, height: 1, format: .gray, pixels: [0, 10]))
        try acc.add(try Image(width: 2, height: 1, format: .gray, pixels: [3, 11]))
        #expect(acc.mean()?.pixels == [1.5, 10.5])
        #expect(throws: ImageCodecError.self) { try acc.add(Pixels.noise(3, 1, .gray)) }
    }

    /// A worker's accumulators (an MPI server's summarizeImages) cross as bytes and merge to the one-pass result.
    @Test func accumulatorsSurviveTheirBytesAndMerge() throws {
        let images = (0..<5).map { Pixels.noise(6, 4, .rgb, seed: UInt64($0 + 10)) }
        var all = MeanImageAccumulator(), left = MeanImageAccumulator(), right = MeanImageAccumulator()
        var channels = ChannelAccumulator(), part = ChannelAccumulator()
        for (i, img) in images.enumerated() {
            try all.add(img)
            try channels.add(img)
            if i < 2 { try left.add(img) } else { try right.add(img); try part.add(img) }
        }
        let sent = try #require(MeanImageAccumulator(encoded: right.encoded))
        #expect(sent == right)
        try left.merge(sent)
        #expect(left == all && left.mean() == all.mean())
        var empty = MeanImageAccumulator()
        try empty.merge(try #require(MeanImageAccumulator(encoded: MeanImageAccumulator().encoded)))
        try empty.merge(all)
        #expect(empty == all)
        #expect(ChannelAccumulator(encoded: part.encoded) == part && ChannelAccumulator(encoded: ChannelAccumulator().encoded) == ChannelAccumulator())
        var other = MeanImageAccumulator()
        try other.add(Pixels.noise(3, 4, .rgb))
        #expect(throws: ImageCodecError.self) { try left.merge(other) }
        // crafted bytes: a wrong length, a size whose product overflows, a channel extreme past 255, an unknown format
        var bytes = right.encoded
        bytes.removeLast()
        #expect(MeanImageAccumulator(encoded: bytes) == nil)
        var huge = right.encoded
        for k in 8..<24 { huge[k] = 0x7f }
        #expect(MeanImageAccumulator(encoded: huge) == nil)
        var format = right.encoded
        format[24] = 9
        #expect(MeanImageAccumulator(encoded: format) == nil)
        var extreme = part.encoded
        extreme[extreme.count - 8] = 0; extreme[extreme.count - 7] = 1       // hi[last] = 256
        #expect(ChannelAccumulator(encoded: extreme) == nil)
        #expect(ChannelAccumulator(encoded: Array(part.encoded.dropLast(8))) == nil)
    }
}

/// The shared float → uint8 rounding: half up, clamped, NaN → 0.
@Test func roundClamp() {
    let cases: [(Float, UInt8)] = [
        (-1e9, 0), (-0.6, 0), (-0.5, 0), (0, 0), (0.49, 0), (0.5, 1), (1.5, 2), (2.5, 3), (127.5, 128),
        (254.49, 254), (254.5, 255), (255, 255), (300, 255), (.infinity, 255), (-.infinity, 0), (.nan, 0),
    ]
    for (v, want) in cases { #expect(roundClampU8(v) == want, "\(v)") }
    for i in 0...2550 {
        let v = Float(i) / 10
        #expect(roundClampU8(v) == UInt8((v + 0.5).rounded(.down)), "\(v)")
    }
}
