// Geometry: crop, center crop, flips, quarter-turn rotations. Pure sample moves (no arithmetic).

/// A pixel rectangle: origin at the top-left, x to the right, y down.
public struct PixelRect: Sendable, Equatable, Hashable {
    /// Left column.
    public var x: Int
    /// Top row.
    public var y: Int
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// Makes a rectangle.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// Flip axis for ``Image/flipped(_:)``.
public enum FlipDirection: String, Sendable, Equatable, CaseIterable {
    /// Mirror left↔right (`out(x, y) = in(W-1-x, y)`).
    case horizontal
    /// Mirror top↔bottom (`out(x, y) = in(x, H-1-y)`).
    case vertical
    /// Both (= rotation by 180°).
    case both
}

/// Quarter-turn rotations for ``Image/rotated(_:)``.
public enum Rotation: Int, Sendable, Equatable, CaseIterable {
    /// 90° clockwise (CAS `ROTATE_RIGHT`, OpenCV `ROTATE_90_CLOCKWISE`): `out(x, y) = in(y, H-1-x)`.
    case clockwise90 = 90
    /// 180°: `out(x, y) = in(W-1-x, H-1-y)`.
    case rotate180 = 180
    /// 90° counterclockwise = 270° clockwise (CAS `ROTATE_LEFT`): `out(x, y) = in(W-1-y, x)`.
    case counterclockwise90 = 270

    /// From clockwise degrees: 90, 180, 270 (also -90 = 270 and -270 = 90); nil otherwise.
    public init?(degreesClockwise d: Int) {
        self.init(rawValue: ((d % 360) + 360) % 360)
    }
}

extension Image {
    /// `CROP` / `GET_PATCH`: the `rect` region as a new image.
    /// - Throws: `.invalidArgument` unless the rectangle is non-empty and inside the image.
    ///   Any coordinates give an image or this error (the comparisons cannot overflow).
    public func cropped(_ rect: PixelRect) throws(ImageCodecError) -> Image {
        guard rect.width > 0, rect.height > 0, rect.x >= 0, rect.y >= 0,
            rect.width <= width, rect.height <= height, rect.x <= width - rect.width, rect.y <= height - rect.height
        else {
            throw .invalid(
                "crop \(rect.width)×\(rect.height) at (\(rect.x), \(rect.y)) is not inside the \(width)×\(height) image")
        }
        let c = channels, rowBytes = rect.width * c
        return Image.build(rect.width, rect.height, format) { out in
            pixels.withUnsafeBufferPointer { src in
                for r in 0..<rect.height {
                    let s = ((rect.y + r) * width + rect.x) * c
                    _ = UnsafeMutableBufferPointer(rebasing: out[(r * rowBytes)..<((r + 1) * rowBytes)])
                        .update(fromContentsOf: src[s..<(s + rowBytes)])
                }
            }
        }
    }

    /// `CENTER_CROP`: a `width × height` crop centered at `((W - w) / 2, (H - h) / 2)`, rounding the
    /// offset down (an odd leftover pixel stays on the right/bottom).
    public func centerCropped(width w: Int, height h: Int) throws(ImageCodecError) -> Image {
        guard w > 0, h > 0, w <= width, h <= height else {
            throw .invalid("center crop \(w)×\(h) does not fit the \(width)×\(height) image")
        }
        return try cropped(PixelRect(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h))
    }

    /// Mirror image (`FLIP`, augmentation `horizontalFlip` / `verticalFlip`).
    public func flipped(_ direction: FlipDirection) -> Image {
        switch direction {
        case .both: return rotated(.rotate180)
        case .vertical: return remapped(width, height, base: (height - 1) * width * channels, xStep: channels, yStep: -width * channels)
        case .horizontal: return remapped(width, height, base: (width - 1) * channels, xStep: -channels, yStep: width * channels)
        }
    }

    /// `ROTATE` by a quarter turn; 90° and 270° swap width and height.
    public func rotated(_ rotation: Rotation) -> Image {
        let c = channels, (w, h) = (width, height)
        // Output (x, y) reads source offset base + x * xStep + y * yStep (see the Rotation docs).
        switch rotation {
        case .clockwise90:  // (sx, sy) = (y, h-1-x)
            return remapped(h, w, base: (h - 1) * w * c, xStep: -w * c, yStep: c)
        case .rotate180:  // (w-1-x, h-1-y)
            return remapped(w, h, base: ((h - 1) * w + w - 1) * c, xStep: -c, yStep: -w * c)
        case .counterclockwise90:  // (w-1-y, x)
            return remapped(h, w, base: (w - 1) * c, xStep: w * c, yStep: -c)
        }
    }

    /// Affine pixel move: output pixel (x, y) copies the `channels` samples at source offset
    /// `base + x * xStep + y * yStep`. Specialized for 1, 3 and 4 channels so the inner copy is fixed-size.
    func remapped(_ ow: Int, _ oh: Int, base: Int, xStep: Int, yStep: Int) -> Image {
        let c = channels
        return Image.build(ow, oh, format) { out in
            pixels.withUnsafeBufferPointer { srcBuf in
                let src = srcBuf.baseAddress!, dst = out.baseAddress!
                for y in 0..<oh {
                    let s = src + base + y * yStep, o = dst + y * ow * c
                    if xStep == c {
                        o.update(from: s, count: ow * c)  // contiguous source row
                        continue
                    }
                    switch c {
                    case 1: for x in 0..<ow { o[x] = s[x * xStep] }
                    case 3:
                        for x in 0..<ow {
                            let p = s + x * xStep
                            (o[3 * x], o[3 * x + 1], o[3 * x + 2]) = (p[0], p[1], p[2])
                        }
                    case 4:
                        for x in 0..<ow {
                            UnsafeMutableRawPointer(o + 4 * x).storeBytes(
                                of: UnsafeRawPointer(s + x * xStep).loadUnaligned(as: UInt32.self), as: UInt32.self)
                        }
                    default:
                        for x in 0..<ow {
                            for k in 0..<c { o[x * c + k] = s[x * xStep + k] }
                        }
                    }
                }
            }
        }
    }
}

/// Naive references: every output sample read through the subscript from the formula in the doc
/// comments above. Used by the tests.
public enum GeometryReference {
    /// Crop by per-sample copy.
    public static func crop(_ img: Image, _ r: PixelRect) -> Image {
        var out = try! Image(width: r.width, height: r.height, format: img.format)
        for y in 0..<r.height {
            for x in 0..<r.width {
                for k in 0..<img.channels { out[x, y, k] = img[r.x + x, r.y + y, k] }
            }
        }
        return out
    }

    /// Flip by per-sample copy.
    public static func flip(_ img: Image, _ d: FlipDirection) -> Image {
        var out = img
        for y in 0..<img.height {
            for x in 0..<img.width {
                let sx = d == .vertical ? x : img.width - 1 - x
                let sy = d == .horizontal ? y : img.height - 1 - y
                for k in 0..<img.channels { out[x, y, k] = img[sx, sy, k] }
            }
        }
        return out
    }

    /// Rotation by per-sample copy: the destination of each source pixel.
    public static func rotate(_ img: Image, _ r: Rotation) -> Image {
        let (w, h) = (img.width, img.height)
        var out = try! Image(width: r == .rotate180 ? w : h, height: r == .rotate180 ? h : w, format: img.format)
        for y in 0..<h {
            for x in 0..<w {
                // Source (x, y) lands at: clockwise (h-1-y, x); 180 (w-1-x, h-1-y); ccw (y, w-1-x).
                let (dx, dy) =
                    switch r {
                    case .clockwise90: (h - 1 - y, x)
                    case .rotate180: (w - 1 - x, h - 1 - y)
                    case .counterclockwise90: (y, w - 1 - x)
                    }
                for k in 0..<img.channels { out[dx, dy, k] = img[x, y, k] }
            }
        }
        return out
    }
}
