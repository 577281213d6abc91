/// Inverted dropout: in training each element is zeroed with probability `rate` and the rest scaled by
/// 1/(1-rate); in inference y = x. The mask comes from a PRNG seeded by (seed, training step), so a
/// run is reproducible and a repeated forward at the same step draws the same mask.
///   x, y, mask  same shape
public final class DropoutLayer: Layer {
    public let rate: Float
    public let seed: UInt64
    private let mask = Scratch()
    private var maskActive = false
    override var scratchCapacity: Int { mask.capacity }
    override func trainingScratch(batch: Int) -> (perSample: Int, fixed: Int) { (outputShape.reduce(1, *), 0) }

    public init(name: String, source: String, rate: Float = 0.5, seed: UInt64 = 0) {
        self.rate = rate
        self.seed = seed
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "dropout" }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        if !(0..<1).contains(rate) { throw error(.invalidLayer, "dropout rate must be in [0, 1), got \(rate)") }
        return inputs[0]
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        maskActive = ctx.training && rate > 0
        guard maskActive else { y.pointer.update(from: x[0].pointer, count: y.count); return }
        var rng = Xoshiro256(seed: seed &+ ctx.step &* 0x9E37_79B9_7F4A_7C15)
        let m = mask.get(y.count), keep = 1 / (1 - rate)
        for i in 0..<y.count {
            m[i] = rng.nextUniform() < rate ? 0 : keep
            y.pointer[i] = x[0].pointer[i] * m[i]
        }
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let dxT = dx[0] else { return }
        if !maskActive { Elementwise.accumulate(dy.pointer, into: dxT.pointer, count: dy.count); return }
        let m = mask.pointer
        for i in 0..<dy.count { dxT.pointer[i] += dy.pointer[i] * m[i] }
    }
}
