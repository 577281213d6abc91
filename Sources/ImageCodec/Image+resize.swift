// Resize kernels. Each fast kernel has a naive per-pixel reference in ResizeReference (bottom),
// compared by Tests/ImageCodecTests/ResizeTests.swift. Formulas: docs/images.md §Resize.

/// Interpolation for ``Image/resized(width:height:method:)``.
public enum ResizeMethod: String, Sendable, Equatable, CaseIterable {
    /// Nearest neighbour with half-pixel centers: `sx = min(floor((dx + 0.5) * sw / dw), sw - 1)`.
    case nearest
    /// Bilinear with half-pixel centers (OpenCV `INTER_LINEAR`): `src = (dst + 0.5) * sw/dw - 0.5`,
    /// clamped to `[0, sw - 1]`. The default.
    case bilinear
    /// Area average (box filter with fractional coverage, like OpenCV `INTER_AREA` when shrinking):
    /// destination pixel `dx` averages source interval `[dx * sw/dw, (dx + 1) * sw/dw)`.
    case area
}

extension Image {
    /// Returns the image resized to `width × height` (channels and format unchanged).
    /// - Throws: `.invalidArgument` if a size is not positive, above `Limits.maxImageSide`, or the
    ///   target has more than `Limits.maxImagePixels` pixels (``Image/byteCount(width:height:format:)``),
    ///   before anything is allocated.
    public func resized(width dw: Int, height dh: Int, method: ResizeMethod = .bilinear) throws(ImageCodecError) -> Image {
        do { _ = try Image.byteCount(width: dw, height: dh, format: format) } catch {
            throw .invalid("resize target: \(error.message)")
        }
        if dw == width && dh == height { return self }
        switch method {
        case .nearest: return resizeNearest(dw, dh)
        case .bilinear: return resizeBilinear(dw, dh)
        case .area: return resizeArea(dw, dh)
        }
    }

    // MARK: nearest

    /// Source index for destination index `d` with half-pixel centers, in exact integer arithmetic.
    @inline(__always) static func nearestIndex(_ d: Int, src: Int, dst: Int) -> Int {
        min((2 * d + 1) * src / (2 * dst), src - 1)
    }

    func resizeNearest(_ dw: Int, _ dh: Int) -> Image {
        let c = channels
        let xs = (0..<dw).map { Self.nearestIndex($0, src: width, dst: dw) * c }  // [dw] source sample offsets
        return Image.build(dw, dh, format) { out in
            pixels.withUnsafeBufferPointer { srcBuf in
                xs.withUnsafeBufferPointer { xsBuf in
                    let src = srcBuf.baseAddress!, dst = out.baseAddress!, xs = xsBuf.baseAddress!
                    for dy in 0..<dh {
                        let row = src + Self.nearestIndex(dy, src: height, dst: dh) * width * c
                        let o = dst + dy * dw * c
                        for dx in 0..<dw {
                            for k in 0..<c { o[dx * c + k] = row[xs[dx] + k] }
                        }
                    }
                }
            }
        }
    }

    // MARK: bilinear

    /// Two taps and the weight of the second, for one axis: `src = (d + 0.5) * s/dn - 0.5`, clamped.
    struct LinearTap {
        var i0: Int
        var i1: Int
        var f: Float
    }

    static func linearTaps(src: Int, dst: Int) -> [LinearTap] {
        let scale = Float(src) / Float(dst)
        return (0..<dst).map { d in
            var s = (Float(d) + 0.5) * scale - 0.5
            s = min(max(s, 0), Float(src - 1))
            let i0 = Int(s)  // s >= 0, so truncation = floor
            return LinearTap(i0: i0, i1: min(i0 + 1, src - 1), f: s - Float(i0))
        }
    }

    /// Separable, vertical pass first: per destination row, blend its two source rows into one
    /// float row over the full source width (contiguous, vectorizes), then interpolate that row
    /// horizontally: `out = round((1 - fx) * v[x0] + fx * v[x1])`, `v = (1 - fy) * top + fy * bottom`.
    /// Raw pointers throughout: `UnsafeBufferPointer` subscripts keep a bounds check at -O.
    func resizeBilinear(_ dw: Int, _ dh: Int) -> Image {
        let c = channels, sn = width * c
        let xt = Self.linearTaps(src: width, dst: dw)
        let yt = Self.linearTaps(src: height, dst: dh)
        let x0 = xt.map { Int32($0.i0 * c) }, x1 = xt.map { Int32($0.i1 * c) }, fx = xt.map(\.f)  // [dw]
        let v = UnsafeMutablePointer<Float>.allocate(capacity: sn)  // [sw*c] vertically blended row
        defer { v.deallocate() }
        return Image.build(dw, dh, format) { out in
            pixels.withUnsafeBufferPointer { srcBuf in
                x0.withUnsafeBufferPointer { x0 in
                    x1.withUnsafeBufferPointer { x1 in
                        fx.withUnsafeBufferPointer { fx in
                            let src = srcBuf.baseAddress!, dst = out.baseAddress!
                            let (p0, p1, pf) = (x0.baseAddress!, x1.baseAddress!, fx.baseAddress!)
                            for dy in 0..<dh {
                                let t = yt[dy], fy = t.f
                                let top = src + t.i0 * sn, bottom = src + t.i1 * sn
                                for i in 0..<sn { v[i] = (1 - fy) * Float(top[i]) + fy * Float(bottom[i]) }
                                Self.bilinearRow(v, p0, p1, pf, dst + dy * dw * c, dw, c)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Horizontal pass over one vertically blended row; `x0`/`x1` are sample offsets of the two taps.
    @inline(__always) static func bilinearRow(
        _ v: UnsafePointer<Float>, _ x0: UnsafePointer<Int32>, _ x1: UnsafePointer<Int32>,
        _ fx: UnsafePointer<Float>, _ o: UnsafeMutablePointer<UInt8>, _ dw: Int, _ c: Int
    ) {
        if c == 3 {  // the common case, unrolled
            for dx in 0..<dw {
                let f = fx[dx], a = v + Int(x0[dx]), b = v + Int(x1[dx])
                o[3 * dx] = roundClampU8((1 - f) * a[0] + f * b[0])
                o[3 * dx + 1] = roundClampU8((1 - f) * a[1] + f * b[1])
                o[3 * dx + 2] = roundClampU8((1 - f) * a[2] + f * b[2])
            }
            return
        }
        for dx in 0..<dw {
            let f = fx[dx], a = v + Int(x0[dx]), b = v + Int(x1[dx])
            for k in 0..<c { o[dx * c + k] = roundClampU8((1 - f) * a[k] + f * b[k]) }
        }
    }

    // MARK: area

    /// Box-filter weights for one axis: destination `d` covers `[d * s/dn, (d + 1) * s/dn)`;
    /// source pixel `i` gets weight `overlap([i, i+1), interval) / (s/dn)` (weights sum to 1).
    struct AreaTaps {
        var start: Int
        var weights: [Float]
    }

    static func areaTaps(src: Int, dst: Int) -> [AreaTaps] {
        let scale = Double(src) / Double(dst)
        return (0..<dst).map { d in
            let a = Double(d) * scale, b = min(Double(d + 1) * scale, Double(src))
            let first = Int(a), last = min(Int((b - 1e-9).rounded(.up)) - 1, src - 1)
            var w: [Float] = []
            for i in first...max(first, last) {
                let overlap = min(Double(i + 1), b) - max(Double(i), a)
                w.append(Float(max(overlap, 0) / scale))
            }
            return AreaTaps(start: first, weights: w)
        }
    }

    /// Separable: for each destination row, sum its source rows (vertical weights) into a float
    /// row of full source width, then apply the horizontal weights. Horizontal taps are stored in
    /// flat `[dw][k]` tables padded with zero weights (adding `0 * a` leaves a sum unchanged).
    func resizeArea(_ dw: Int, _ dh: Int) -> Image {
        let c = channels, sn = width * c
        let xt = Self.areaTaps(src: width, dst: dw)
        let yt = Self.areaTaps(src: height, dst: dh)
        let k = xt.map(\.weights.count).max()!
        var start = [Int](repeating: 0, count: dw)  // [dw] first source sample offset
        var weight = [Float](repeating: 0, count: dw * k)  // [dw][k]
        for (dx, t) in xt.enumerated() {
            start[dx] = min(t.start, width - k) * c  // shift left near the right edge; pad weights
            let shift = t.start - min(t.start, width - k)
            for (j, w) in t.weights.enumerated() { weight[dx * k + shift + j] = w }
        }
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: sn)  // [sw*c] vertically weighted row
        defer { acc.deallocate() }
        return Image.build(dw, dh, format) { out in
            pixels.withUnsafeBufferPointer { srcBuf in
                start.withUnsafeBufferPointer { startBuf in
                    weight.withUnsafeBufferPointer { weightBuf in
                        let src = srcBuf.baseAddress!, dst = out.baseAddress!
                        let st = startBuf.baseAddress!, wt = weightBuf.baseAddress!
                        for dy in 0..<dh {
                            let ty = yt[dy]
                            acc.update(repeating: 0, count: sn)
                            for (j, wy) in ty.weights.enumerated() {
                                let row = src + (ty.start + j) * sn
                                for i in 0..<sn { acc[i] += wy * Float(row[i]) }
                            }
                            let o = dst + dy * dw * c
                            if c == 3 {  // common case: three running sums, same order as below
                                for dx in 0..<dw {
                                    let a = acc + st[dx], w = wt + dx * k
                                    var (s0, s1, s2): (Float, Float, Float) = (0, 0, 0)
                                    for j in 0..<k {
                                        s0 += w[j] * a[3 * j]
                                        s1 += w[j] * a[3 * j + 1]
                                        s2 += w[j] * a[3 * j + 2]
                                    }
                                    (o[3 * dx], o[3 * dx + 1], o[3 * dx + 2]) = (roundClampU8(s0), roundClampU8(s1), roundClampU8(s2))
                                }
                                continue
                            }
                            for dx in 0..<dw {
                                let a = acc + st[dx], w = wt + dx * k
                                for ch in 0..<c {
                                    var s: Float = 0
                                    for j in 0..<k { s += w[j] * a[j * c + ch] }
                                    o[dx * c + ch] = roundClampU8(s)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Naive references: one destination sample at a time, straight from the formula.
/// Used only by tests (and kept beside the kernels so a reader can check one against the other).
public enum ResizeReference {
    /// Nearest: `sx = min(floor((dx + 0.5) * sw / dw), sw - 1)` computed in Double.
    public static func nearest(_ img: Image, width dw: Int, height dh: Int) -> Image {
        var out = try! Image(width: dw, height: dh, format: img.format)
        for dy in 0..<dh {
            for dx in 0..<dw {
                let sx = min(Int(((Double(dx) + 0.5) * Double(img.width) / Double(dw)).rounded(.down)), img.width - 1)
                let sy = min(Int(((Double(dy) + 0.5) * Double(img.height) / Double(dh)).rounded(.down)), img.height - 1)
                for k in 0..<img.channels { out[dx, dy, k] = img[sx, sy, k] }
            }
        }
        return out
    }

    /// Bilinear with the same Float32 expression as the fast kernel (vertical blend, then
    /// horizontal), evaluated per pixel from scratch (no tables, no row buffer), so results must
    /// be bit-identical.
    public static func bilinear(_ img: Image, width dw: Int, height dh: Int) -> Image {
        func coord(_ d: Int, _ s: Int, _ n: Int) -> (Int, Int, Float) {
            var v = (Float(d) + 0.5) * (Float(s) / Float(n)) - 0.5
            v = min(max(v, 0), Float(s - 1))
            let i0 = Int(v.rounded(.down))
            return (i0, min(i0 + 1, s - 1), v - Float(i0))
        }
        var out = try! Image(width: dw, height: dh, format: img.format)
        for dy in 0..<dh {
            let (y0, y1, fy) = coord(dy, img.height, dh)
            for dx in 0..<dw {
                let (x0, x1, fx) = coord(dx, img.width, dw)
                for k in 0..<img.channels {
                    let left = (1 - fy) * Float(img[x0, y0, k]) + fy * Float(img[x0, y1, k])
                    let right = (1 - fy) * Float(img[x1, y0, k]) + fy * Float(img[x1, y1, k])
                    out[dx, dy, k] = roundClampU8((1 - fx) * left + fx * right)
                }
            }
        }
        return out
    }

    /// Area: 2-D coverage-weighted mean over the source rectangle, in Double. Differs from the
    /// Float32 separable kernel by at most 1 where the exact mean lies within float rounding of x.5.
    public static func area(_ img: Image, width dw: Int, height dh: Int) -> Image {
        let sx = Double(img.width) / Double(dw), sy = Double(img.height) / Double(dh)
        var out = try! Image(width: dw, height: dh, format: img.format)
        for dy in 0..<dh {
            let (ya, yb) = (Double(dy) * sy, Double(dy + 1) * sy)
            for dx in 0..<dw {
                let (xa, xb) = (Double(dx) * sx, Double(dx + 1) * sx)
                for k in 0..<img.channels {
                    var sum = 0.0
                    for y in Int(ya)..<min(Int(yb.rounded(.up)), img.height) {
                        let wy = min(Double(y + 1), yb) - max(Double(y), ya)
                        for x in Int(xa)..<min(Int(xb.rounded(.up)), img.width) {
                            let wx = min(Double(x + 1), xb) - max(Double(x), xa)
                            sum += wx * wy * Double(img[x, y, k])
                        }
                    }
                    out[dx, dy, k] = UInt8(min(max((sum / (sx * sy) + 0.5).rounded(.down), 0), 255))
                }
            }
        }
        return out
    }
}
