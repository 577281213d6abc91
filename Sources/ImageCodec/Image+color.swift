// Color conversion. Luma uses ITU-R BT.601 weights Y = 0.299 R + 0.587 G + 0.114 B, computed in
// 14-bit fixed point exactly as OpenCV's cvtColor does: Y = (4899 R + 9617 G + 1868 B + 8192) >> 14.

/// Fixed-point BT.601 weights (sum 16384 = 2^14).
@usableFromInline let lumaR = 4899, lumaG = 9617, lumaB = 1868

@inline(__always) func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
    UInt8(truncatingIfNeeded: (Int(r) * lumaR + Int(g) * lumaG + Int(b) * lumaB + 8192) >> 14)
}

extension Image {
    /// Converts to another pixel format.
    ///
    /// - color → gray: BT.601 luma (`COLOR2GRAY`), alpha dropped unless the target has alpha.
    /// - gray → color: the gray value copied to R, G and B (`GRAY2COLOR`).
    /// - RGB ↔ BGR: channel swap (`RGB2BGR` / `BGR2RGB`).
    /// - alpha: dropped when the target has none (no compositing), 255 when added.
    public func converted(to target: PixelFormat) -> Image {
        if target == format { return self }
        let (sc, tc) = (channels, target.channels)
        // Offsets of R, G, B inside a source pixel (gray: all 0), and of alpha (-1: none).
        let (sr, sg, sb) = Self.rgbOffsets(format)
        let sa = format.hasAlpha ? sc - 1 : -1
        let (tr, tg, tb) = Self.rgbOffsets(target)
        let n = width * height
        return Image.build(width, height, target) { out in
            pixels.withUnsafeBufferPointer { srcBuf in
                let src = srcBuf.baseAddress!, dst = out.baseAddress!
                switch (format.isGray, target.isGray) {
                case (false, true):  // COLOR2GRAY; constant offsets for the common layouts
                    switch (sc, sr) {
                    case (3, 0): Self.lumaLoop(src, dst, n, 3, tc, 0, 2)
                    case (3, _): Self.lumaLoop(src, dst, n, 3, tc, 2, 0)
                    case (_, 0): Self.lumaLoop(src, dst, n, 4, tc, 0, 2)
                    default: Self.lumaLoop(src, dst, n, 4, tc, 2, 0)
                    }
                case (true, true):
                    for i in 0..<n { dst[i * tc] = src[i * sc] }
                case (true, false):  // GRAY2COLOR
                    for i in 0..<n {
                        let v = src[i * sc], o = dst + i * tc
                        (o[0], o[1], o[2]) = (v, v, v)
                    }
                case (false, false):  // channel permutation
                    for i in 0..<n {
                        let s = src + i * sc, o = dst + i * tc
                        (o[tr], o[tg], o[tb]) = (s[sr], s[sg], s[sb])
                    }
                }
                if target.hasAlpha {
                    for i in 0..<n { dst[i * tc + tc - 1] = sa >= 0 ? src[i * sc + sa] : 255 }
                }
            }
        }
    }

    /// BT.601 luma over `n` pixels; inlined with literal strides/offsets so the loads are fixed.
    @inline(__always) static func lumaLoop(
        _ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, _ n: Int, _ sc: Int, _ tc: Int,
        _ r: Int, _ b: Int
    ) {
        for i in 0..<n {
            let s = src + i * sc
            let y = UInt32(s[r]) &* 4899 &+ UInt32(s[1]) &* 9617 &+ UInt32(s[b]) &* 1868 &+ 8192
            dst[i * tc] = UInt8(truncatingIfNeeded: y >> 14)
        }
    }

    static func rgbOffsets(_ f: PixelFormat) -> (Int, Int, Int) {
        switch f {
        case .gray, .grayAlpha: (0, 0, 0)
        case .rgb, .rgba: (0, 1, 2)
        case .bgr, .bgra: (2, 1, 0)
        }
    }

    /// `GRAY2COLOR`: gray (or gray+alpha) to RGB (or RGBA); color images are returned unchanged.
    public func grayToColor() -> Image {
        switch format {
        case .gray: converted(to: .rgb)
        case .grayAlpha: converted(to: .rgba)
        default: self
        }
    }

    /// `COLOR2GRAY`: color to gray with BT.601 weights (alpha kept as gray+alpha); gray unchanged.
    public func colorToGray() -> Image {
        switch format {
        case .rgb, .bgr: converted(to: .gray)
        case .rgba, .bgra: converted(to: .grayAlpha)
        default: self
        }
    }

    /// `RGB2BGR` / `BGR2RGB`: swaps the R and B channels (RGB↔BGR, RGBA↔BGRA); gray unchanged.
    public func swappedRedBlue() -> Image {
        switch format {
        case .rgb: converted(to: .bgr)
        case .bgr: converted(to: .rgb)
        case .rgba: converted(to: .bgra)
        case .bgra: converted(to: .rgba)
        default: self
        }
    }
}

/// Naive references for the tests: BT.601 luma in Double, rounded half up.
enum ColorReference {
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let y: Double = 0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)
        return UInt8((y + 0.5).rounded(.down))
    }
}
