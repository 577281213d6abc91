import CheckedSize

// THRESHOLD and rectangular mask patches (occlusion). Alpha is left untouched by both.

/// OpenCV threshold types (CAS `THRESHOLD type=`), with `t` the level and `m` the max value.
public enum ThresholdType: String, Sendable, Equatable, CaseIterable {
    /// `v > t ? m : 0`
    case binary
    /// `v > t ? 0 : m`
    case binaryInverted
    /// `v > t ? t : v`
    case truncate
    /// `v > t ? v : 0` (CAS `TO_ZERO`)
    case toZero
    /// `v > t ? 0 : v`
    case toZeroInverted

    /// From the OpenCV/CAS spelling, case-insensitive: BINARY, BINARY_INV, TRUNC, TO_ZERO,
    /// TO_ZERO_INV (also this enum's own raw values).
    public init?(casName: String) {
        switch casName.uppercased() {
        case "BINARY": self = .binary
        case "BINARY_INV", "BINARYINVERTED": self = .binaryInverted
        case "TRUNC", "TRUNCATE": self = .truncate
        case "TO_ZERO", "TOZERO": self = .toZero
        case "TO_ZERO_INV", "TOZEROINVERTED": self = .toZeroInverted
        default: return nil
        }
    }

    /// The formula for one sample.
    public func apply(_ v: UInt8, level t: UInt8, maxValue m: UInt8) -> UInt8 {
        switch self {
        case .binary: v > t ? m : 0
        case .binaryInverted: v > t ? 0 : m
        case .truncate: v > t ? t : v
        case .toZero: v > t ? v : 0
        case .toZeroInverted: v > t ? 0 : v
        }
    }
}

extension Image {
    /// `THRESHOLD`: applies `type` with `level` to every color sample (per channel; alpha kept).
    public func thresholded(level: UInt8, maxValue: UInt8 = 255, type: ThresholdType = .binary) -> Image {
        applyingTable((0...255).map { type.apply(UInt8($0), level: level, maxValue: maxValue) })
    }

    /// Fills the part of `rect` that lies inside the image with `value` in every color channel
    /// (alpha kept). A rectangle partly or wholly outside is clipped, not an error, so occlusion
    /// windows may overhang the border. Any coordinates work (`Checked.overlap` cannot overflow).
    public mutating func fill(_ rect: PixelRect, value: UInt8) {
        guard let xs = Checked.overlap(offset: rect.x, length: rect.width, size: width),
              let ys = Checked.overlap(offset: rect.y, length: rect.height, size: height) else { return }
        let (x0, x1, y0, y1) = (xs.lowerBound, xs.upperBound, ys.lowerBound, ys.upperBound)
        let c = channels, cc = colorChannels, w = width
        pixels.withUnsafeMutableBufferPointer { p in
            for y in y0..<y1 {
                for x in x0..<x1 {
                    for k in 0..<cc { p[(y * w + x) * c + k] = value }
                }
            }
        }
    }

    /// Non-mutating ``fill(_:value:)``: the occlusion / mask patch used by augmentImages.
    public func filled(_ rect: PixelRect, value: UInt8) -> Image {
        var copy = self
        copy.fill(rect, value: value)
        return copy
    }

    /// Positions of `patchWidth × patchHeight` windows moved by `step` over a `width × height`
    /// image, row by row, left to right, starting at (0, 0); every window lies fully inside.
    /// Feeds occlusion heat maps: score `filled(rect, value:)` for each rect. At most
    /// `Limits.maxImageWindows` windows (``slidingWindowCount(width:height:patchWidth:patchHeight:step:)``
    /// tells how many before they are made).
    public static func slidingWindows(
        width: Int, height: Int, patchWidth: Int, patchHeight: Int, step: Int
    ) throws(ImageCodecError) -> [PixelRect] {
        _ = try slidingWindowCount(width: width, height: height, patchWidth: patchWidth, patchHeight: patchHeight, step: step)
        var out: [PixelRect] = []
        for y in stride(from: 0, through: height - patchHeight, by: step) {
            for x in stride(from: 0, through: width - patchWidth, by: step) {
                out.append(PixelRect(x: x, y: y, width: patchWidth, height: patchHeight))
            }
        }
        return out
    }

    /// How many windows ``slidingWindows(width:height:patchWidth:patchHeight:step:)`` makes; throws when
    /// the patch does not fit or there would be more than `Limits.maxImageWindows`.
    public static func slidingWindowCount(
        width: Int, height: Int, patchWidth: Int, patchHeight: Int, step: Int
    ) throws(ImageCodecError) -> Int {
        guard width > 0, height > 0, patchWidth > 0, patchHeight > 0, step > 0, patchWidth <= width, patchHeight <= height else {
            throw .invalid("patch \(patchWidth)×\(patchHeight) with step \(step) does not fit a \(width)×\(height) image")
        }
        let across = (width - patchWidth) / step + 1, down = (height - patchHeight) / step + 1
        guard across <= Limits.maxImageWindows / down else {
            throw .invalid("patch \(patchWidth)×\(patchHeight) with step \(step) makes \(across)×\(down) windows on a \(width)×\(height) image; at most \(Limits.readable(Limits.maxImageWindows)) are allowed (use a larger step)")
        }
        return across * down
    }
}
