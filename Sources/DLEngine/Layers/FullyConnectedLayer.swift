/// Fully connected layer through cblas_sgemm; flattens its input (NHWC order) per sample. In bf16
/// precision it runs as a 1×1 oneDNN convolution over a 1×1 image of I channels (the same weights).
///
///   x      [N, I]         I = product of the input's per-sample shape
///   weight [O, I]         torch layout; He-normal initialised
///   bias   [O]            zeros
///   y      [N, O]         act(x · weightᵀ + bias)
public final class FullyConnectedLayer: Layer {
    public let outputs: Int
    public let hasBias: Bool
    public let activation: Activation

    public init(name: String, source: String, outputs: Int, bias: Bool = true, activation: Activation = .identity) {
        self.outputs = outputs
        hasBias = bias
        self.activation = activation
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "fully connected" }
    private var inputs: Int { inputShapes[0].reduce(1, *) }
    /// The arithmetic of the products (`Model.precision` sets it on every layer).
    public var precision: Precision = .fp32 {
        didSet { if precision != oldValue { primitives = [:] } }
    }
    private var primitives: [Int: DNNLConvolution] = [:]   // bf16 only: batch size -> 1×1 convolution

    /// The bf16 primitive for a batch of `n`: y [N,1,1,O] = x [N,1,1,I] ⊛ weight [O, I, 1, 1] (+ bias).
    private func primitive(_ n: Int) throws -> DNNLConvolution {
        if let p = primitives[n] { return p }
        let g = ConvGeometry(batch: n, inH: 1, inW: 1, inC: inputs, outC: outputs, kernelH: 1, kernelW: 1,
                             strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: .same, groups: 1)
        let p = try DNNLConvolution(g, hasBias: hasBias, fusedReLU: activation == .relu, precision: precision)
        primitives[n] = p
        return p
    }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        if outputs < 1 { throw error(.invalidLayer, "needs at least one output neuron, got \(outputs)") }
        return [outputs]
    }

    override func parameterShapes() -> [(String, [Int])] {
        hasBias ? [("weight", [outputs, inputs]), ("bias", [outputs])] : [("weight", [outputs, inputs])]
    }

    override func initializeParameters(_ rng: inout Xoshiro256) {
        let w = param("weight"), std = (2 / Float(inputs)).squareRoot()
        for i in w.value.indices { w.value[i] = rng.nextNormal() * std }
        if hasBias { param("bias").value.update(repeating: 0) }
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let n = x[0].batch, i = inputs, o = outputs
        if precision == .bf16 {   // INT8 leaves fully connected layers in FP32 (the head is a small part of the work)
            let p = try primitive(n)
            try p.forward(x: x[0].pointer, w: param("weight").value.baseAddress!, b: hasBias ? param("bias").value.baseAddress! : nil,
                          y: y.pointer, weightsVersion: ctx.parameterVersion)
            if !p.fusedReLU { activation.apply(y.pointer, count: y.count) }
            return
        }
        BLAS.sgemm(false, true, m: n, n: o, k: i, a: x[0].pointer, lda: i, b: param("weight").value.baseAddress!, ldb: i,
                   beta: 0, c: y.pointer, ldc: o)
        if hasBias {
            let b = param("bias").value.baseAddress!
            for r in 0..<n { Elementwise.accumulate(b, into: y.pointer + r * o, count: o) }
        }
        activation.apply(y.pointer, count: y.count)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        let n = x[0].batch, i = inputs, o = outputs
        activation.backward(output: y.pointer, outputGrad: dy.pointer, into: dy.pointer, count: dy.count)
        if precision == .bf16 { return try backwardPrimitive(x[0], dy, dx[0]) }   // INT8: FP32 (inference only anyway)
        if !isFrozen {
            // dW [O, I] += dzᵀ [O, N] · x [N, I]
            BLAS.sgemm(true, false, m: o, n: i, k: n, a: dy.pointer, lda: o, b: x[0].pointer, ldb: i,
                       beta: 1, c: param("weight").grad!.baseAddress!, ldc: i)
            if hasBias {
                let db = param("bias").grad!.baseAddress!
                for r in 0..<n { Elementwise.accumulate(dy.pointer + r * o, into: db, count: o) }
            }
        }
        if let dxT = dx[0] {
            // dx [N, I] += dz [N, O] · W [O, I]
            BLAS.sgemm(false, false, m: n, n: i, k: o, a: dy.pointer, lda: o, b: param("weight").value.baseAddress!, ldb: i,
                       beta: 1, c: dxT.pointer, ldc: i)
        }
    }

    /// `backward` through the bf16 primitive (dz already in `dy`); adds into the gradients like sgemm's beta 1.
    private func backwardPrimitive(_ x: Tensor, _ dy: Tensor, _ dx: Tensor?) throws {
        let n = x.batch, i = inputs, o = outputs
        let p = try primitive(n)
        let w = param("weight")
        if !isFrozen {
            let dw = workspace.a.get(o * i + o), db = hasBias ? dw + o * i : nil
            try p.backwardWeights(x: x.pointer, dy: dy.pointer, dw: dw, db: db)
            Elementwise.accumulate(dw, into: w.grad!.baseAddress!, count: o * i)
            if let db { Elementwise.accumulate(db, into: param("bias").grad!.baseAddress!, count: o) }
        }
        if let dx {
            let tmp = workspace.b.get(n * i)
            try p.backwardData(dy: dy.pointer, w: w.value.baseAddress!, dx: tmp)
            Elementwise.accumulate(tmp, into: dx.pointer, count: n * i)
        }
    }
}
