import CheckedSize

/// How the samples of one pixel are laid out. All pixel data in this library is interleaved
/// (HWC: row-major, then column, then channel) with no row padding.
public enum PixelFormat: UInt8, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// 1 channel: luma.
    case gray = 1
    /// 2 channels: luma, alpha.
    case grayAlpha = 2
    /// 3 channels: red, green, blue. The default for decoded color images.
    case rgb = 3
    /// 4 channels: red, green, blue, alpha (straight, not premultiplied).
    case rgba = 4
    /// 3 channels: blue, green, red (OpenCV order).
    case bgr = 5
    /// 4 channels: blue, green, red, alpha.
    case bgra = 6

    /// Samples per pixel.
    public var channels: Int {
        switch self {
        case .gray: 1
        case .grayAlpha: 2
        case .rgb, .bgr: 3
        case .rgba, .bgra: 4
        }
    }

    /// True for formats with an alpha channel (always the last sample).
    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba || self == .bgra }

    /// True for gray and gray+alpha.
    public var isGray: Bool { self == .gray || self == .grayAlpha }

    /// The usual format for a channel count: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public static func forChannels(_ n: Int) -> PixelFormat? {
        switch n {
        case 1: .gray
        case 2: .grayAlpha
        case 3: .rgb
        case 4: .rgba
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .gray: "GRAY"
        case .grayAlpha: "GRAYA"
        case .rgb: "RGB"
        case .rgba: "RGBA"
        case .bgr: "BGR"
        case .bgra: "BGRA"
        }
    }
}

/// An 8-bit image: `width × height` pixels of `format.channels` samples, interleaved HWC.
///
/// Sample (x, y, c) is `pixels[(y * width + x) * channels + c]`. Decoders produce this;
/// 16-bit PNG input is reduced to 8 bits on decode (docs/images.md §Decode).
///
/// ```swift
/// let img = try ImageCodec.decode(bytes, as: .rgb)
/// let small = img.resized(width: 224, height: 224).normalizedMinMax(alpha: 0, beta: 255)
/// ```
public struct Image: Sendable, Equatable {
    /// Width in pixels (> 0).
    public let width: Int
    /// Height in pixels (> 0).
    public let height: Int
    /// Sample layout; `format.channels` samples per pixel.
    public internal(set) var format: PixelFormat
    /// `width * height * channels` samples, HWC. Read-only outside the module so the count can
    /// never disagree with the size (kernels index through raw pointers); write via the subscript.
    public internal(set) var pixels: [UInt8]

    /// Samples per pixel.
    @inlinable public var channels: Int { format.channels }

    /// Wraps existing samples. Throws when `pixels.count != width * height * channels`.
    public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) throws(ImageCodecError) {
        let count = try Image.byteCount(width: width, height: height, format: format)
        guard pixels.count == count else {
            throw .invalid("\(format) image \(width)×\(height) needs \(count) samples, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// An image with every sample set to `fill`.
    public init(width: Int, height: Int, format: PixelFormat, fill: UInt8 = 0) throws(ImageCodecError) {
        let count = try Image.byteCount(width: width, height: height, format: format)
        try self.init(width: width, height: height, format: format, pixels: [UInt8](repeating: fill, count: count))
    }

    /// Bytes of a `width × height` image of `format` (8-bit samples), checked before anything is
    /// allocated: both sides in `1...Limits.maxImageSide` and at most `Limits.maxImagePixels` pixels.
    /// Every operation that makes a new image (decode, resize, crop, new images) passes through here,
    /// and a server calls it to charge an operation's output to a memory budget before running it:
    ///
    ///     let cost = try Image.byteCount(width: 224, height: 224, format: .rgb)   // 150528
    public static func byteCount(width: Int, height: Int, format: PixelFormat) throws(ImageCodecError) -> Int {
        guard width > 0, height > 0 else { throw .invalid("image size \(width)×\(height) must be positive") }
        guard width <= Limits.maxImageSide, height <= Limits.maxImageSide else {
            throw .invalid("image size \(width)×\(height) is too large: each side may be at most \(Limits.maxImageSide) pixels")
        }
        guard width * height <= Limits.maxImagePixels else {
            throw .invalid("image size \(width)×\(height) is too large: at most \(Limits.readable(Limits.maxImagePixels)) pixels")
        }
        return width * height * format.channels
    }

    /// Internal: caller guarantees the sizes (used by kernels that compute their own output).
    init(unchecked width: Int, _ height: Int, _ format: PixelFormat, _ pixels: [UInt8]) {
        assert(pixels.count == width * height * format.channels)
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// Allocates `width*height*channels` samples and lets `body` write all of them.
    static func make(
        _ width: Int, _ height: Int, _ format: PixelFormat,
        _ body: (UnsafeMutableBufferPointer<UInt8>) throws(ImageCodecError) -> Void
    ) throws(ImageCodecError) -> Image {
        let count = width * height * format.channels
        var failure: ImageCodecError?
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buf, n in
            do throws(ImageCodecError) { try body(buf) } catch { failure = error }
            n = count
        }
        if let failure { throw failure }
        return Image(unchecked: width, height, format, pixels)
    }

    /// Non-throwing `make` for kernels that cannot fail.
    static func build(
        _ width: Int, _ height: Int, _ format: PixelFormat,
        _ body: (UnsafeMutableBufferPointer<UInt8>) -> Void
    ) -> Image {
        let count = width * height * format.channels
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buf, n in
            body(buf)
            n = count
        }
        return Image(unchecked: width, height, format, pixels)
    }

    /// The sample at column `x`, row `y`, channel `c` (bounds-checked by the array).
    public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }
}

/// A float32 image, interleaved HWC like ``Image``: the output of mean/std normalization and of
/// MINMAX normalization when fractional values must be kept.
public struct FloatImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Sample layout (same meaning as for ``Image``).
    public internal(set) var format: PixelFormat
    /// `width * height * channels` samples, HWC.
    public internal(set) var pixels: [Float]

    /// Samples per pixel.
    @inlinable public var channels: Int { format.channels }

    /// Wraps existing samples. Throws when `pixels.count != width * height * channels`.
    public init(width: Int, height: Int, format: PixelFormat, pixels: [Float]) throws(ImageCodecError) {
        let count = try Image.byteCount(width: width, height: height, format: format)
        guard pixels.count == count else {
            throw .invalid("\(format) float image \(width)×\(height) needs \(count) samples, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    init(unchecked width: Int, _ height: Int, _ format: PixelFormat, _ pixels: [Float]) {
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    /// The same samples converted to `Float` (no scaling).
    public init(_ image: Image) {
        self.init(unchecked: image.width, image.height, image.format, image.pixels.map { Float($0) })
    }

    /// For display: samples scaled by the image's own min/max to 0...255 (all 0 when constant), then
    /// rounded as ``toImage()``. Mean/std-normalized pixels become viewable this way.
    public func displayable() -> Image {
        let lo = pixels.min() ?? 0, hi = pixels.max() ?? 0
        let scale: Float = hi > lo ? 255 / (hi - lo) : 0
        return FloatImage(unchecked: width, height, format, pixels.map { ($0 - lo) * scale }).toImage()
    }

    /// Rounds half up and clamps each sample to 0...255 (NaN → 0); see ``roundClampU8``.
    public func toImage() -> Image {
        Image.build(width, height, format) { out in
            pixels.withUnsafeBufferPointer { src in
                for i in 0..<src.count { out[i] = roundClampU8(src[i]) }
            }
        }
    }
}

/// Float → 8-bit everywhere in this library: round half up (`floor(v + 0.5)`), clamp to 0...255,
/// NaN → 0. Written without `UInt8(Float)` (which checks range and NaN on every sample, ~2× the
/// cost of a resize inner loop) and without `rounded(.toNearestOrAwayFromZero)` (a `roundf` call):
/// compare/select clamps, `floor` is one instruction, and adding 2^23 to an integral float in
/// 0...255 leaves that integer in the low mantissa bits.
@inline(__always) func roundClampU8(_ v: Float) -> UInt8 {
    let c = v + 0.5
    let lo = c > 0 ? c : 0  // NaN compares false → 0
    let hi = lo < 255 ? lo : 255
    return UInt8(truncatingIfNeeded: (hi.rounded(.down) + 8_388_608).bitPattern)
}
