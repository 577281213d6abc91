/// A one-channel signed 16-bit image: CT (or other DICOM) pixel values in Hounsfield units, after
/// RescaleSlope/RescaleIntercept. What loadImages stores for a DICOM file (CLRI sample type 3), and
/// the input of windowing, which turns it into an 8-bit gray ``Image`` for the rest of the pipeline.
///
/// ```swift
/// let lung = hu.windowed(.lung)   // −600/1500 HU → 0…255
/// ```
public struct HUImage: Sendable, Equatable {
    /// Width in pixels (DICOM Columns).
    public let width: Int
    /// Height in pixels (DICOM Rows).
    public let height: Int
    /// `width * height` values, row-major.
    public let pixels: [Int16]
    /// Shown inverted (DICOM MONOCHROME1: the lowest value is white): the values are the same Hounsfield
    /// units, only windowing differs (255 − the MONOCHROME2 result).
    public let inverted: Bool

    /// Wraps existing values; throws when the count disagrees or the size passes the image limits.
    public init(width: Int, height: Int, pixels: [Int16], inverted: Bool = false) throws(ImageCodecError) {
        let count = try Image.byteCount(width: width, height: height, format: .gray)
        guard pixels.count == count else {
            throw .invalid("Hounsfield image \(width)×\(height) needs \(count) values, got \(pixels.count)")
        }
        self.init(unchecked: width, height, pixels, inverted: inverted)
    }

    init(unchecked width: Int, _ height: Int, _ pixels: [Int16], inverted: Bool = false) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.inverted = inverted
    }

    /// The value at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Int16 { pixels[y * width + x] }

    /// This image as a raw blob (16-byte CLRI header, sample type 3, + int16 little-endian values).
    public func rawBytes() -> [UInt8] {
        var out = RawImage.header(width: width, height: height, format: .gray, sampleType: RawImage.int16SampleType(inverted: inverted))
        out.reserveCapacity(out.count + pixels.count * 2)
        pixels.withUnsafeBytes { out += $0 }  // x86-64 and arm64 are little-endian
        return out
    }

    /// For display without a window: values scaled by the image's own min/max to 0…255.
    public func displayable() -> Image {
        let lo = pixels.min() ?? 0, hi = pixels.max() ?? 0
        return windowed(HUWindow(center: (Double(lo) + Double(hi) + 1) / 2, width: Double(hi) - Double(lo) + 1))
    }

    /// Windowing (VOI LUT, linear): DICOM PS3.3 C.11.2.1.2.1 with an 8-bit output, rounded half up:
    ///
    ///     x ≤ c − 0.5 − (w − 1)/2  → 0
    ///     x > c − 0.5 + (w − 1)/2  → 255
    ///     else                     → ((x − (c − 0.5)) / (w − 1) + 0.5) × 255
    ///
    /// `window.width` ≥ 1 (``HUWindow`` checks). The output is 8-bit gray, same size; an ``inverted``
    /// (MONOCHROME1) image gives 255 minus that.
    public func windowed(_ window: HUWindow) -> Image {
        let c = window.center - 0.5, w1 = window.width - 1
        let lo = c - w1 / 2, hi = c + w1 / 2
        let (black, white): (UInt8, UInt8) = inverted ? (255, 0) : (0, 255)
        func level(_ x: Double) -> UInt8 {
            if x <= lo { return black }
            if x > hi { return white }
            let v = roundClampU8(Float(((x - c) / w1 + 0.5) * 255))
            return inverted ? 255 - v : v
        }
        // Values are int16: the ramp's levels are computed once per value it covers (a table of at most
        // 65 536, e.g. 1 501 for the lung window) when the image has more pixels than that.
        let first = Int(max(-32768, lo.rounded(.down))), last = Int(min(32767, hi.rounded(.up)))
        let ramp = last >= first && last - first < pixels.count ? (first...last).map { level(Double($0)) } : nil
        return Image.build(width, height, .gray) { out in
            pixels.withUnsafeBufferPointer { src in
                guard let ramp else {
                    for i in 0..<src.count { out[i] = level(Double(src[i])) }
                    return
                }
                ramp.withUnsafeBufferPointer { table in
                    for i in 0..<src.count {
                        let x = Int(src[i])
                        out[i] = x < first ? black : x > last ? white : table[x - first]
                    }
                }
            }
        }
    }
}

/// A window in Hounsfield units: the center and width of the HU range mapped to 0…255.
public struct HUWindow: Sendable, Equatable {
    /// Window center (DICOM WindowCenter), HU.
    public var center: Double
    /// Window width (DICOM WindowWidth), HU, at least 1.
    public var width: Double

    /// A window; `width` must be at least 1 and both finite (callers validate; this clamps to stay defined).
    public init(center: Double, width: Double) {
        self.center = center.isFinite ? center : 0
        self.width = width.isFinite ? max(width, 1) : 1
    }

    /// Lung parenchyma: center −600, width 1500.
    public static let lung = HUWindow(center: -600, width: 1500)
    /// Mediastinum (soft tissue): center 40, width 400.
    public static let mediastinum = HUWindow(center: 40, width: 400)
}
