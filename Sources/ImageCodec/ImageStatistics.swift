// Accumulators for summarizeImages: per-channel statistics over many images, and the mean image.

/// Per-channel sums over any number of images (sizes may differ; channel counts must match).
/// Exact: integer sums, so the order images are added in does not matter.
public struct ChannelAccumulator: Sendable, Equatable {
    /// Channels per image (fixed by the first image added).
    public private(set) var channels: Int = 0
    /// Images added.
    public private(set) var imageCount = 0
    /// Pixels added (per channel).
    public private(set) var pixelCount = 0
    var sum: [Int] = []
    var sumSquares: [Int] = []
    var lo: [UInt8] = []
    var hi: [UInt8] = []

    /// An empty accumulator.
    public init() {}

    /// Adds every pixel of `image`.
    /// - Throws: `.invalidArgument` if its channel count differs from earlier images.
    public mutating func add(_ image: Image) throws(ImageCodecError) {
        if imageCount == 0 {
            channels = image.channels
            sum = [Int](repeating: 0, count: channels)
            sumSquares = sum
            lo = [UInt8](repeating: 255, count: channels)
            hi = [UInt8](repeating: 0, count: channels)
        }
        guard image.channels == channels else {
            throw .invalid("image has \(image.channels) channels, earlier images have \(channels); convert first")
        }
        let n = image.width * image.height
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                for k in 0..<channels {
                    let v = p[i * channels + k]
                    sum[k] += Int(v)
                    sumSquares[k] += Int(v) * Int(v)
                    lo[k] = min(lo[k], v)
                    hi[k] = max(hi[k], v)
                }
            }
        }
        imageCount += 1
        pixelCount += n
    }

    /// Merges another accumulator (for parallel reductions).
    public mutating func merge(_ other: ChannelAccumulator) throws(ImageCodecError) {
        guard other.imageCount > 0 else { return }
        if imageCount == 0 {
            self = other
            return
        }
        guard other.channels == channels else { throw .invalid("cannot merge \(other.channels)- and \(channels)-channel statistics") }
        for k in 0..<channels {
            sum[k] += other.sum[k]
            sumSquares[k] += other.sumSquares[k]
            lo[k] = min(lo[k], other.lo[k])
            hi[k] = max(hi[k], other.hi[k])
        }
        imageCount += other.imageCount
        pixelCount += other.pixelCount
    }

    /// Mean, population std, min, max per channel (empty before the first image).
    public func statistics() -> [ChannelStatistics] {
        (0..<channels).map { k in
            let mean = Double(sum[k]) / Double(pixelCount)
            let variance = max(Double(sumSquares[k]) / Double(pixelCount) - mean * mean, 0)
            return ChannelStatistics(mean: mean, std: variance.squareRoot(), min: lo[k], max: hi[k])
        }
    }
}

/// The pixel-wise mean of same-sized images (summarizeImages "mean image").
public struct MeanImageAccumulator: Sendable, Equatable {
    /// Images added.
    public private(set) var count = 0
    var width = 0, height = 0
    var format: PixelFormat = .rgb
    var sums: [UInt32] = []  // [h*w*c]; exact for up to 16 million images

    /// An empty accumulator.
    public init() {}

    /// Adds one image; all must share width, height and format.
    public mutating func add(_ image: Image) throws(ImageCodecError) {
        if count == 0 {
            (width, height, format) = (image.width, image.height, image.format)
            sums = [UInt32](repeating: 0, count: image.pixels.count)
        }
        guard image.width == width, image.height == height, image.format == format else {
            throw .invalid(
                "mean image needs equal sizes: got \(image.width)×\(image.height) \(image.format), expected \(width)×\(height) \(format); resize first")
        }
        sums.withUnsafeMutableBufferPointer { s in
            image.pixels.withUnsafeBufferPointer { p in
                for i in 0..<p.count { s[i] &+= UInt32(p[i]) }
            }
        }
        count += 1
    }

    /// The mean as float32 (nil before the first image).
    public func mean() -> FloatImage? {
        guard count > 0 else { return nil }
        let inv = 1 / Float(count)
        return FloatImage(unchecked: width, height, format, sums.map { Float($0) * inv })
    }
}

/// Little-endian 64-bit words: the byte form of the accumulators (a worker of an MPI server sends its part).
enum Words {
    static func bytes(_ words: [Int]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(8 * words.count)
        for w in words { withUnsafeBytes(of: Int64(w).littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    static func words(_ bytes: [UInt8]) -> [Int]? {
        guard bytes.count % 8 == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / 8)).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
        }
    }
}

extension ChannelAccumulator {
    /// The accumulator as bytes (`init(encoded:)` reads them back).
    public var encoded: [UInt8] {
        Words.bytes([channels, imageCount, pixelCount] + sum + sumSquares + lo.map(Int.init) + hi.map(Int.init))
    }

    /// The accumulator `encoded` wrote; nil when the bytes are not one.
    public init?(encoded bytes: [UInt8]) {
        guard let w = Words.words(bytes), w.count >= 3, w[0] >= 0, w[0] <= 4, w[1] >= 0, w[2] >= 0, w.count == 3 + 4 * w[0] else { return nil }
        let c = w[0]
        guard w[(3 + 2 * c)...].allSatisfy({ (0...255).contains($0) }) else { return nil }
        self.init()
        (channels, imageCount, pixelCount) = (c, w[1], w[2])
        sum = Array(w[3..<(3 + c)])
        sumSquares = Array(w[(3 + c)..<(3 + 2 * c)])
        lo = w[(3 + 2 * c)..<(3 + 3 * c)].map { UInt8($0) }
        hi = w[(3 + 3 * c)...].map { UInt8($0) }
    }
}

extension MeanImageAccumulator {
    /// Adds the images another accumulator holds (for parallel reductions).
    /// - Throws: `.invalidArgument` when their size or format differs from this one's.
    public mutating func merge(_ other: MeanImageAccumulator) throws(ImageCodecError) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        guard other.width == width, other.height == height, other.format == format else {
            throw .invalid(
                "mean image needs equal sizes: got \(other.width)×\(other.height) \(other.format), expected \(width)×\(height) \(format); resize first")
        }
        for i in sums.indices { sums[i] &+= other.sums[i] }
        count += other.count
    }

    /// The accumulator as bytes: count, width, height, format (8 bytes each), then the sums (4 bytes each).
    public var encoded: [UInt8] {
        var out = Words.bytes([count, width, height, Int(format.rawValue)])
        out.reserveCapacity(out.count + 4 * sums.count)
        for s in sums { withUnsafeBytes(of: s.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// The accumulator `encoded` wrote; nil when the bytes are not one.
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count >= 32, let head = Words.words(Array(bytes[0..<32])), head[0] >= 0, head[1] >= 0, head[2] >= 0,
              let f = UInt8(exactly: head[3]).flatMap(PixelFormat.init(rawValue:)) else { return nil }
        let (n, o1) = head[1].multipliedReportingOverflow(by: head[2]), (cells, o2) = n.multipliedReportingOverflow(by: f.channels)
        guard !o1, !o2, (bytes.count - 32) % 4 == 0, cells == (bytes.count - 32) / 4 else { return nil }
        self.init()
        (count, width, height, format) = (head[0], head[1], head[2], f)
        sums = bytes[32...].withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        }
    }
}
