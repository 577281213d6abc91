import CheckedSize

/// Multiplies a feature map by per-channel (or per-element) factors from a second source, then an
/// optional activation (CAS scale layer; EfficientNet's squeeze-and-excitation: x · σ(s)).
///   x [N, H, W, C], s [N, …] with C values (per channel: [1, 1, C], [1, C, 1], [C]) or [N, H, W, C] (per element)  ->  y [N, H, W, C]
/// Sources are (data, factors) in that order.
public final class ScaleLayer: Layer {
    public let activation: Activation
    /// The activation's input gradient (backward), scratch.
    private let grad = Scratch()

    public init(name: String, sources: [String], activation: Activation = .identity) {
        self.activation = activation
        super.init(name: name, sources: sources)
    }

    public override var kind: String { "scale" }
    override var scratchCapacity: Int { grad.capacity }
    override func trainingScratch(batch: Int) -> (perSample: Int, fixed: Int) { (outputShape.reduce(1, *), 0) }

    /// True when the factors hold one value per channel (broadcast over H and W).
    var perChannel: Bool { inputShapes.count == 2 && inputShapes[1] != inputShapes[0] }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 2)
        let data = inputs[0], factors = inputs[1]
        guard let c = data.last, !data.isEmpty else { throw error(.shapeMismatch, "the data source '\(sources[0])' has no shape") }
        guard factors == data || factors.reduce(1, *) == c else {
            throw error(.shapeMismatch, "the factors '\(sources[1])' have shape \(factors); a scale layer needs one factor per channel (\(c) values, e.g. [1, 1, \(c)]) or per value (\(data)) of '\(sources[0])'")
        }
        return data
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let c = outputShape.last!, rows = y.count / c, xs = x[0].pointer, f = x[1].pointer
        if perChannel {
            let spatial = outputShape.reduce(1, *) / c, batch = rows / spatial
            for n in 0..<batch {
                for p in 0..<spatial {
                    let o = (n * spatial + p) * c
                    for j in 0..<c { y.pointer[o + j] = xs[o + j] * f[n * c + j] }
                }
            }
        } else {
            for i in 0..<y.count { y.pointer[i] = xs[i] * f[i] }
        }
        activation.apply(y.pointer, count: y.count)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        let g = grad.get(y.count)
        g.update(from: dy.pointer, count: dy.count)
        activation.backward(output: y.pointer, outputGrad: g, into: g, count: y.count)
        let c = outputShape.last!, xs = x[0].pointer, f = x[1].pointer
        if perChannel {
            let spatial = outputShape.reduce(1, *) / c, batch = y.count / (spatial * c)
            for n in 0..<batch {
                for p in 0..<spatial {
                    let o = (n * spatial + p) * c
                    if let d = dx[0] { for j in 0..<c { d.pointer[o + j] += g[o + j] * f[n * c + j] } }
                    if let d = dx[1] { for j in 0..<c { d.pointer[n * c + j] += g[o + j] * xs[o + j] } }
                }
            }
        } else {
            if let d = dx[0] { for i in 0..<y.count { d.pointer[i] += g[i] * f[i] } }
            if let d = dx[1] { for i in 0..<y.count { d.pointer[i] += g[i] * xs[i] } }
        }
    }
}

/// ShuffleNet's channel shuffle: the C channels seen as `groups` × (C / groups) are transposed, so
/// output channel j·groups + i is input channel i·(C / groups) + j.
///   x, y [N, H, W, C]
public final class ChannelShuffleLayer: Layer {
    public let groups: Int

    public init(name: String, source: String, groups: Int) {
        self.groups = groups
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "channelshuffle" }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        guard let c = inputs[0].last, groups >= 1, c % groups == 0 else {
            throw error(.shapeMismatch, "\(inputs[0].last ?? 0) channels cannot be split into \(groups) groups of equal size")
        }
        return inputs[0]
    }

    /// The input channel feeding output channel `o`.
    func source(of o: Int, channels c: Int) -> Int {
        let per = c / groups
        return (o % groups) * per + o / groups
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let c = outputShape.last!, rows = y.count / c
        let from = (0..<c).map { source(of: $0, channels: c) }
        for r in 0..<rows {
            let xr = x[0].pointer + r * c, yr = y.pointer + r * c
            for o in 0..<c { yr[o] = xr[from[o]] }
        }
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let d = dx[0] else { return }
        let c = outputShape.last!, rows = y.count / c
        let from = (0..<c).map { source(of: $0, channels: c) }
        for r in 0..<rows {
            let dr = d.pointer + r * c, gr = dy.pointer + r * c
            for o in 0..<c { dr[from[o]] += gr[o] }
        }
    }
}

/// CAS's reshape layer: the values of each sample laid out again as [height, width, depth], in CAS's
/// channel-major order (a sample's values read as C × H × W, then written as depth × height × width),
/// so a model means the same here as in CAS although the engine keeps activations NHWC.
///   x [N, H, W, C]  ->  y [N, height, width, depth] (same number of values per sample)
public final class ReshapeLayer: Layer {
    public let shape: [Int]
    public let activation: Activation
    /// For each output value of a sample, the input value it takes (NHWC offsets).
    private var gather: [Int] = []

    public init(name: String, source: String, shape: [Int], activation: Activation = .identity) {
        self.shape = shape
        self.activation = activation
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "reshape" }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        guard shape.count == 3, shape.allSatisfy({ $0 >= 1 }) else { throw error(.invalidLayer, "height, width and depth must be at least 1, got \(shape)") }
        let values = inputs[0].reduce(1, *)   // an earlier layer's shape: already within Limits.maxTensorElements
        let target = try checked { () throws(SizeError) in try Checked.product(shape, "height × width × depth \(shape)", max: Limits.maxTensorElements) }
        guard values == target else {
            throw error(.shapeMismatch, "cannot lay out \(values) values (shape \(inputs[0])) as height × width × depth \(shape)")
        }
        return shape
    }

    /// NHWC offset in the input of each output value, through the channel-major order both sides share.
    func gatherTable() -> [Int] {
        let input = inputShapes[0].count == 3 ? inputShapes[0] : [1, 1, inputShapes[0].reduce(1, *)]
        let (hi, wi, ci) = (input[0], input[1], input[2]), (ho, wo, co) = (shape[0], shape[1], shape[2])
        var table = [Int](repeating: 0, count: ho * wo * co)
        for h in 0..<ho {
            for w in 0..<wo {
                for d in 0..<co {
                    let k = d * ho * wo + h * wo + w        // channel-major position
                    let c = k / (hi * wi), rest = k % (hi * wi)
                    table[(h * wo + w) * co + d] = (rest / wi * wi + rest % wi) * ci + c
                }
            }
        }
        return table
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        if gather.isEmpty { gather = gatherTable() }
        let size = gather.count, batch = y.count / size
        for n in 0..<batch {
            let xs = x[0].pointer + n * size, ys = y.pointer + n * size
            for i in 0..<size { ys[i] = xs[gather[i]] }
        }
        activation.apply(y.pointer, count: y.count)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let d = dx[0] else { return }
        activation.backward(output: y.pointer, outputGrad: dy.pointer, into: dy.pointer, count: dy.count)
        let size = gather.count, batch = y.count / size
        for n in 0..<batch {
            let ds = d.pointer + n * size, gs = dy.pointer + n * size
            for i in 0..<size { ds[gather[i]] += gs[i] }
        }
    }
}
