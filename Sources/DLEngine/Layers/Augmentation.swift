import Foundation

/// Random changes to training images before they enter the model (CAS's input-layer options
/// randomFlip, randomCrop, randomMutation). Every draw comes from a generator seeded by (seed,
/// training step, sample position), so a run is reproducible; inference never augments.
public struct Augmentation: Sendable, Equatable {
    public enum Flip: Sendable, Equatable { case none, horizontal, vertical, both }
    public enum Crop: Sendable, Equatable {
        /// No crop.
        case none
        /// CAS's UNIQUE: a window of the input layer's size at a random place of a larger image; images
        /// that already have the input layer's size (the only ones the engine receives) are unchanged.
        case unique
        /// A random part of the image (8–100 % of its area, aspect ratio 3/4–4/3) resized back to the
        /// full size with bilinear interpolation.
        case randomResized
    }

    public var flip: Flip
    public var crop: Crop
    /// Random brightness (± 12.5 % of the image's value range) and contrast (× 0.75…1.25 around the mean).
    public var mutation: Bool
    public var seed: UInt64

    public init(flip: Flip = .none, crop: Crop = .none, mutation: Bool = false, seed: UInt64 = 0) {
        self.flip = flip
        self.crop = crop
        self.mutation = mutation
        self.seed = seed
    }

    /// Whether anything can change an image (UNIQUE never does at the input layer's size).
    public var changesImages: Bool { flip != .none || crop == .randomResized || mutation }

    /// Augments one image in place ([height, width, channels], NHWC).
    public func apply(_ image: UnsafeMutablePointer<Float>, height h: Int, width w: Int, channels c: Int, step: UInt64, sample: Int) {
        var rng = generator(step: step, sample: sample)
        if crop == .randomResized { randomResizedCrop(image, h, w, c, &rng) }
        let (flipH, flipV) = draws(&rng)
        if flipH { Self.mirror(image, h, w, c, horizontally: true) }
        if flipV { Self.mirror(image, h, w, c, horizontally: false) }
        if mutation { mutate(image, h * w * c, &rng) }
    }

    func generator(step: UInt64, sample: Int) -> Xoshiro256 {
        Xoshiro256(seed: seed &+ step &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(sample) &* 0xD1B5_4A32_D192_ED03)
    }

    func draws(_ rng: inout Xoshiro256) -> (Bool, Bool) {
        let h = (flip == .horizontal || flip == .both) && rng.nextUniform() < 0.5
        let v = (flip == .vertical || flip == .both) && rng.nextUniform() < 0.5
        return (h, v)
    }

    /// The flips `apply` makes to sample `sample` of the batch at training step `step`, for targets that must move with
    /// the image (segmentation masks, detection boxes). Without RANDOMRESIZED crops only (a crop draws first, and would
    /// move the targets too); nil with one.
    public func flips(step: UInt64, sample: Int) -> (horizontal: Bool, vertical: Bool)? {
        guard crop != .randomResized else { return nil }
        var rng = generator(step: step, sample: sample)
        let (h, v) = draws(&rng)
        return (h, v)
    }

    static func mirror(_ p: UnsafeMutablePointer<Float>, _ h: Int, _ w: Int, _ c: Int, horizontally: Bool) {
        if horizontally {
            for y in 0..<h {
                for x in 0..<(w / 2) {
                    let a = (y * w + x) * c, b = (y * w + (w - 1 - x)) * c
                    for j in 0..<c { swap(&p[a + j], &p[b + j]) }
                }
            }
        } else {
            for y in 0..<(h / 2) {
                let a = y * w * c, b = (h - 1 - y) * w * c
                for k in 0..<(w * c) { swap(&p[a + k], &p[b + k]) }
            }
        }
    }

    func randomResizedCrop(_ p: UnsafeMutablePointer<Float>, _ h: Int, _ w: Int, _ c: Int, _ rng: inout Xoshiro256) {
        let area = Double(h * w)
        var box = (y: 0, x: 0, h: h, w: w)
        for _ in 0..<10 {
            let target = area * (0.08 + 0.92 * Double(rng.nextUniform()))
            let ratio = exp(log(3.0 / 4) + (log(4.0 / 3) - log(3.0 / 4)) * Double(rng.nextUniform()))
            let cw = Int((target * ratio).squareRoot().rounded()), ch = Int((target / ratio).squareRoot().rounded())
            if cw >= 1, ch >= 1, cw <= w, ch <= h {
                box = (Int(rng.nextUniform() * Float(h - ch + 1)), Int(rng.nextUniform() * Float(w - cw + 1)), ch, cw)
                break
            }
        }
        let copy = [Float](UnsafeBufferPointer(start: p, count: h * w * c))
        let sy = Double(box.h) / Double(h), sx = Double(box.w) / Double(w)
        for y in 0..<h {
            let fy = min(max((Double(y) + 0.5) * sy - 0.5, 0), Double(box.h - 1))
            let y0 = Int(fy), y1 = min(y0 + 1, box.h - 1), wy = Float(fy - Double(y0))
            for x in 0..<w {
                let fx = min(max((Double(x) + 0.5) * sx - 0.5, 0), Double(box.w - 1))
                let x0 = Int(fx), x1 = min(x0 + 1, box.w - 1), wx = Float(fx - Double(x0))
                for j in 0..<c {
                    func at(_ yy: Int, _ xx: Int) -> Float { copy[((box.y + yy) * w + box.x + xx) * c + j] }
                    let top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx, bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx
                    p[(y * w + x) * c + j] = top * (1 - wy) + bottom * wy
                }
            }
        }
    }

    func mutate(_ p: UnsafeMutablePointer<Float>, _ count: Int, _ rng: inout Xoshiro256) {
        var lo = Float.infinity, hi = -Float.infinity, sum: Double = 0
        for i in 0..<count { lo = min(lo, p[i]); hi = max(hi, p[i]); sum += Double(p[i]) }
        let mean = Float(sum / Double(max(count, 1))), range = hi > lo ? hi - lo : 1
        let contrast = 0.75 + 0.5 * rng.nextUniform(), brightness = (rng.nextUniform() * 2 - 1) * 0.125 * range
        for i in 0..<count { p[i] = (p[i] - mean) * contrast + mean + brightness }
    }
}
