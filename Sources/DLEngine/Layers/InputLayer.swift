/// The model's data entry point (CAS input layer): y = (x·scale - offsets[c]) / std[c].
///   x, y  [N, H, W, C] (or [N, C])
/// `offsets` and `std` have one value per channel (or are nil: 0 and 1).
/// In training, images ([H, W, C] samples) may first be augmented (`Augmentation`: CAS's randomFlip,
/// randomCrop, randomMutation), per sample and per step from a seeded generator; never in inference.
public final class InputLayer: Layer {
    public let shape: [Int]
    public let scale: Float
    public let offsets: [Float]?
    public let std: [Float]?
    public let augmentation: Augmentation
    /// The sample being augmented (one image), scratch.
    private let sample = Scratch()
    private var augmented = false

    /// `shape` is per sample, e.g. `[224, 224, 3]`.
    public init(name: String, shape: [Int], scale: Float = 1, offsets: [Float]? = nil, std: [Float]? = nil,
                augmentation: Augmentation = Augmentation()) {
        self.shape = shape
        self.scale = scale
        self.offsets = offsets
        self.std = std
        self.augmentation = augmentation
        super.init(name: name, sources: [])
    }

    override var scratchCapacity: Int { sample.capacity }
    /// One sample while augmenting.
    override func trainingScratch(batch: Int) -> (perSample: Int, fixed: Int) {
        (0, augmentation.changesImages && shape.count == 3 ? shape.reduce(1, *) : 0)
    }

    public override var kind: String { "input" }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        if !inputs.isEmpty { throw error(.invalidLayer, "an input layer takes no source layers") }
        if shape.isEmpty || shape.contains(where: { $0 < 1 }) { throw error(.shapeMismatch, "invalid input shape \(shape)") }
        let c = shape.last!
        if let o = offsets, o.count != c { throw error(.shapeMismatch, "\(o.count) offsets for \(c) channels") }
        if let s = std, s.count != c { throw error(.shapeMismatch, "\(s.count) std values for \(c) channels") }
        if let s = std, s.contains(where: { $0 == 0 }) { throw error(.invalidLayer, "std values must be non-zero") }
        return shape
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let c = shape.last!, rows = y.count / c
        let off = offsets ?? [Float](repeating: 0, count: c)
        let inv = (std ?? [Float](repeating: 1, count: c)).map { 1 / $0 }
        augmented = ctx.training && augmentation.changesImages && shape.count == 3
        if augmented {
            let size = shape.reduce(1, *), batch = y.count / size, buffer = sample.get(size)
            for n in 0..<batch {
                buffer.update(from: x[0].pointer + n * size, count: size)
                augmentation.apply(buffer, height: shape[0], width: shape[1], channels: c, step: ctx.step, sample: n)
                let yr = y.pointer + n * size
                for p in 0..<(size / c) { for j in 0..<c { yr[p * c + j] = (buffer[p * c + j] * scale - off[j]) * inv[j] } }
            }
            return
        }
        for r in 0..<rows {
            let xr = x[0].pointer + r * c, yr = y.pointer + r * c
            for j in 0..<c { yr[j] = (xr[j] * scale - off[j]) * inv[j] }
        }
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let dxT = dx[0] else { return }
        if augmented { throw error(.unsupported, "no gradient with respect to an augmented (flipped, cropped or mutated) input") }
        let c = shape.last!, rows = y.count / c
        let inv = (std ?? [Float](repeating: 1, count: c)).map { scale / $0 }
        for r in 0..<rows { for j in 0..<c { dxT.pointer[r * c + j] += dy.pointer[r * c + j] * inv[j] } }
    }
}
