// Augmentation mutations (CAS augmentImages `mutations={...}`). Pixel-value mutations leave alpha
// untouched. Random ones take a generator so a seed reproduces a run
// (the action sets and tests pass SeededRandom's SplitMix64).

/// One augmentation mutation. Parameters of the non-geometric ones are fixed and documented here
/// so runs are comparable; use the underlying methods for other strengths.
public enum Mutation: String, Sendable, Equatable, CaseIterable {
    /// ``Image/flipped(_:)`` `.horizontal`.
    case horizontalFlip
    /// ``Image/flipped(_:)`` `.vertical`.
    case verticalFlip
    /// ``Image/rotated(_:)`` `.counterclockwise90`.
    case rotateLeft
    /// ``Image/rotated(_:)`` `.clockwise90`.
    case rotateRight
    /// `255 - v`.
    case invertPixels
    /// ``Image/brightened(by:)`` with -32 (saturating).
    case darken
    /// ``Image/brightened(by:)`` with +32 (saturating).
    case lighten
    /// ``Image/colorShifted(by:)`` with one random offset in -32...32 per channel.
    case colorShifting
    /// ``Image/jittered(amount:using:)`` with amount 16: every sample plus uniform noise in -16...16.
    case colorJittering
    /// ``Image/sharpened()``: 3×3 kernel `[0 -1 0; -1 5 -1; 0 -1 0]`.
    case sharpen
    /// ``Image/pyramidDown()``: Gaussian 5×5 blur then every other pixel (OpenCV `pyrDown`).
    case pyramidDown
    /// ``Image/pyramidUp()``: 2× bilinear upscale.
    case pyramidUp
}

extension Image {
    /// Applies one ``Mutation``; `rng` is used only by the random ones.
    /// Throws `.tooLarge` when PYRAMID_UP would pass the image limits.
    public func mutated(_ m: Mutation, using rng: inout some RandomNumberGenerator) throws(ImageCodecError) -> Image {
        switch m {
        case .horizontalFlip: flipped(.horizontal)
        case .verticalFlip: flipped(.vertical)
        case .rotateLeft: rotated(.counterclockwise90)
        case .rotateRight: rotated(.clockwise90)
        case .invertPixels: inverted()
        case .darken: brightened(by: -32)
        case .lighten: brightened(by: 32)
        case .colorShifting: colorShifted(by: (0..<colorChannels).map { _ in Int.random(in: -32...32, using: &rng) })
        case .colorJittering: jittered(amount: 16, using: &rng)
        case .sharpen: sharpened()
        case .pyramidDown: pyramidDown()
        case .pyramidUp: try pyramidUp()
        }
    }

    /// `255 - v` on the color channels.
    public func inverted() -> Image { applyingTable((0...255).map { 255 - UInt8($0) }) }

    /// `clamp(v + delta, 0, 255)` on the color channels.
    public func brightened(by delta: Int) -> Image {
        applyingTable((0...255).map { UInt8(clamping: $0 + delta) })
    }

    /// `clamp(v + offsets[c], 0, 255)` per color channel (`offsets.count == colorChannels`; extra
    /// entries ignored, missing ones 0).
    public func colorShifted(by offsets: [Int]) -> Image {
        let c = channels, cc = colorChannels
        var out = self
        out.pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<(width * height) {
                for k in 0..<min(cc, offsets.count) { p[i * c + k] = UInt8(clamping: Int(p[i * c + k]) + offsets[k]) }
            }
        }
        return out
    }

    /// Adds independent uniform noise in `-amount...amount` to every color sample (saturating).
    public func jittered(amount: Int, using rng: inout some RandomNumberGenerator) -> Image {
        let c = channels, cc = colorChannels, a = max(amount, 0)
        var out = self
        out.pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<(width * height) {
                for k in 0..<cc {
                    p[i * c + k] = UInt8(clamping: Int(p[i * c + k]) + Int.random(in: -a...a, using: &rng))
                }
            }
        }
        return out
    }

    /// 3×3 sharpen `[0 -1 0; -1 5 -1; 0 -1 0]`, border pixels replicated, result clamped.
    public func sharpened() -> Image {
        let c = channels, cc = colorChannels, w = width, h = height
        return Image.build(w, h, format) { out in
            pixels.withUnsafeBufferPointer { p in
                for y in 0..<h {
                    let (ym, yp) = (max(y - 1, 0), min(y + 1, h - 1))
                    for x in 0..<w {
                        let (xm, xp) = (max(x - 1, 0), min(x + 1, w - 1))
                        let o = (y * w + x) * c
                        for k in 0..<cc {
                            let v =
                                5 * Int(p[o + k]) - Int(p[(ym * w + x) * c + k]) - Int(p[(yp * w + x) * c + k])
                                - Int(p[(y * w + xm) * c + k]) - Int(p[(y * w + xp) * c + k])
                            out[o + k] = UInt8(clamping: v)
                        }
                        if cc < c { out[o + cc] = p[o + cc] }
                    }
                }
            }
        }
    }

    /// Index reflection without repeating the edge (OpenCV BORDER_REFLECT_101): -1 → 1, n → n-2.
    @inline(__always) static func reflect101(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        var i = i
        while i < 0 || i >= n { i = i < 0 ? -i : 2 * (n - 1) - i }
        return i
    }

    /// OpenCV `pyrDown`: blur with the separable 5-tap kernel `[1 4 6 4 1] / 16` (BORDER_REFLECT_101),
    /// keep even rows and columns. Output `((W+1)/2) × ((H+1)/2)`; `(sum + 128) >> 8`.
    /// Alpha is resampled like the other channels.
    public func pyramidDown() -> Image {
        let c = channels, w = width, h = height
        let ow = (w + 1) / 2, oh = (h + 1) / 2
        let k5 = [1, 4, 6, 4, 1]
        // Horizontal pass at even columns only: [h][ow*c] Int sums (scale 16).
        var rows = [Int](repeating: 0, count: h * ow * c)
        pixels.withUnsafeBufferPointer { p in
            for y in 0..<h {
                for ox in 0..<ow {
                    for k in 0..<c {
                        var s = 0
                        for t in 0..<5 { s += k5[t] * Int(p[(y * w + Self.reflect101(2 * ox + t - 2, w)) * c + k]) }
                        rows[(y * ow + ox) * c + k] = s
                    }
                }
            }
        }
        return Image.build(ow, oh, format) { out in
            for oy in 0..<oh {
                for i in 0..<(ow * c) {
                    var s = 0
                    for t in 0..<5 { s += k5[t] * rows[Self.reflect101(2 * oy + t - 2, h) * ow * c + i] }
                    out[oy * ow * c + i] = UInt8((s + 128) >> 8)
                }
            }
        }
    }

    /// 2× upscale with bilinear interpolation (a stand-in for OpenCV `pyrUp`, documented as such).
    /// Throws `.tooLarge` when the doubled image would pass the image limits (never returns a smaller image).
    public func pyramidUp() throws(ImageCodecError) -> Image {
        do { _ = try Image.byteCount(width: width &* 2, height: height &* 2, format: format) } catch {
            throw ImageCodecError(.tooLarge, "PYRAMID_UP of a \(width)×\(height) image would make \(width &* 2)×\(height &* 2): \(error.message)")
        }
        return try resized(width: width * 2, height: height * 2, method: .bilinear)
    }
}

/// Naive references for the mutation kernels: direct 2-D sums per output sample.
public enum MutationReference {
    /// pyrDown as one 5×5 sum per output sample with the outer-product kernel.
    public static func pyramidDown(_ img: Image) -> Image {
        let k5 = [1, 4, 6, 4, 1]
        let ow = (img.width + 1) / 2, oh = (img.height + 1) / 2
        var out = try! Image(width: ow, height: oh, format: img.format)
        for oy in 0..<oh {
            for ox in 0..<ow {
                for k in 0..<img.channels {
                    var s = 0
                    for j in 0..<5 {
                        for i in 0..<5 {
                            let sx = Image.reflect101(2 * ox + i - 2, img.width)
                            let sy = Image.reflect101(2 * oy + j - 2, img.height)
                            s += k5[i] * k5[j] * Int(img[sx, sy, k])
                        }
                    }
                    out[ox, oy, k] = UInt8((s + 128) >> 8)
                }
            }
        }
        return out
    }
}
