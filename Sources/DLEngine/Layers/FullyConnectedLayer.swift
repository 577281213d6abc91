/// Fully connected layer through cblas_sgemm; flattens its input (NHWC order) per sample.
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
}
