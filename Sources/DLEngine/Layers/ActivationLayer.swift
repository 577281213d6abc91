/// A stand-alone activation: y = f(x), any shape.
public final class ActivationLayer: Layer {
    public let activation: Activation

    public init(name: String, source: String, activation: Activation) {
        self.activation = activation
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "activation" }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        return inputs[0]
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        y.pointer.update(from: x[0].pointer, count: y.count)
        activation.apply(y.pointer, count: y.count)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let dxT = dx[0] else { return }
        activation.backward(output: y.pointer, outputGrad: dy.pointer, into: dy.pointer, count: dy.count)
        Elementwise.accumulate(dy.pointer, into: dxT.pointer, count: dy.count)
    }
}

/// Element-wise sum of all sources (same shape), then an optional activation (CAS residual layer).
///   x_i, y  [N, H, W, C]
public final class ResidualLayer: Layer {
    public let activation: Activation

    public init(name: String, sources: [String], activation: Activation = .identity) {
        self.activation = activation
        super.init(name: name, sources: sources)
    }

    public override var kind: String { "residual" }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, nil)
        for (i, s) in inputs.enumerated() where s != inputs[0] {
            throw error(.shapeMismatch, "source '\(sources[i])' has shape \(s) but '\(sources[0])' has \(inputs[0]); residual inputs must match")
        }
        return inputs[0]
    }

    override var overwritesFreshGradients: Bool { true }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        ChannelKernels.sum(x.map { UnsafePointer($0.pointer) }, into: y.pointer, count: y.count, act: activation)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        var targets: [UnsafeMutablePointer<Float>] = [], overwrite: [Bool] = []
        for (k, d) in dx.enumerated() { if let d { targets.append(d.pointer); overwrite.append(isFresh(k)) } }
        guard !targets.isEmpty else { return }
        ChannelKernels.scatterGradient(y.pointer, dy.pointer, into: targets, overwrite: overwrite, count: dy.count, act: activation)
    }
}

/// Concatenation along the channel (last) axis; all other axes must match.
///   x_i [N, H, W, C_i]  ->  y [N, H, W, ΣC_i]
public final class ConcatLayer: Layer {
    public override init(name: String, sources: [String]) { super.init(name: name, sources: sources) }

    public override var kind: String { "concat" }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, nil)
        let lead = inputs[0].dropLast()
        for (i, s) in inputs.enumerated() where s.isEmpty || s.dropLast() != lead {
            throw error(.shapeMismatch, "source '\(sources[i])' has shape \(s); all but the channel axis must equal \(Array(lead))")
        }
        return Array(lead) + [inputs.reduce(0) { $0 + $1.last! }]
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let cOut = outputShape.last!, rows = y.count / cOut
        var offset = 0
        for (i, t) in x.enumerated() {
            let ci = inputShapes[i].last!
            for r in 0..<rows { (y.pointer + r * cOut + offset).update(from: t.pointer + r * ci, count: ci) }
            offset += ci
        }
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        let cOut = outputShape.last!, rows = y.count / cOut
        var offset = 0
        for (i, d) in dx.enumerated() {
            let ci = inputShapes[i].last!
            if let d {
                for r in 0..<rows { Elementwise.accumulate(dy.pointer + r * cOut + offset, into: d.pointer + r * ci, count: ci) }
            }
            offset += ci
        }
    }
}
