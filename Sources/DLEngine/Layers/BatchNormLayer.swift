/// Batch normalisation over the channel (last) axis, then an optional activation (PyTorch semantics).
///
///   x, y          [N, H, W, C] or [N, C]   (M = N·H·W rows of C channels)
///   weight, bias  [C]                       γ = 1, β = 0 initially
///   running_mean, running_var [C]           buffers; running ← (1 - momentum)·running + momentum·batch,
///                                           the variance update uses the unbiased batch variance
///
/// Training normalises with batch statistics (biased variance); inference, and a frozen layer even in
/// training (fine-tuning a head), normalise with the running ones and leave them unchanged.
public final class BatchNormLayer: Layer {
    public let epsilon: Float
    public let momentum: Float
    public let activation: Activation

    private let mean = Scratch(), invStd = Scratch()   // [C] each: statistics the last forward used
    private var usedBatchStats = false
    private let coefficients = Scratch()               // [3C] per-channel factors of the fused kernels

    public init(name: String, source: String, epsilon: Float = 1e-5, momentum: Float = 0.1, activation: Activation = .identity) {
        self.epsilon = epsilon
        self.momentum = momentum
        self.activation = activation
        super.init(name: name, sources: [source])
    }

    public override var kind: String { "batch norm" }
    private var channels: Int { inputShapes[0].last! }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        guard !inputs[0].isEmpty else { throw error(.shapeMismatch, "input has no channel axis") }
        return inputs[0]
    }

    override func parameterShapes() -> [(String, [Int])] { [("weight", [channels]), ("bias", [channels])] }
    override func bufferShapes() -> [(String, [Int])] { [("running_mean", [channels]), ("running_var", [channels])] }

    override func initializeParameters(_ rng: inout Xoshiro256) {
        param("weight").value.update(repeating: 1)
        param("bias").value.update(repeating: 0)
        param("running_mean").value.update(repeating: 0)
        param("running_var").value.update(repeating: 1)
    }

    override var overwritesFreshGradients: Bool { true }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let c = channels, rows = x[0].count / c
        let mu = mean.get(c), inv = invStd.get(c), coef = coefficients.get(2 * c)
        let rm = param("running_mean").value, rv = param("running_var").value
        usedBatchStats = ctx.training && !isFrozen
        if usedBatchStats {
            let m = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
            defer { m.deallocate() }
            ChannelKernels.statistics(x[0].pointer, rows: rows, c: c, mean: m, variance: m + c)
            for j in 0..<c {
                let varB = m[c + j]
                mu[j] = Float(m[j])
                inv[j] = Float(1 / (varB + Double(epsilon)).squareRoot())
                let unbiased = rows > 1 ? varB * Double(rows) / Double(rows - 1) : varB
                rm[j] = (1 - momentum) * rm[j] + momentum * Float(m[j])
                rv[j] = (1 - momentum) * rv[j] + momentum * Float(unbiased)
            }
        } else {
            for j in 0..<c { mu[j] = rm[j]; inv[j] = 1 / (rv[j] + epsilon).squareRoot() }
        }
        // y = f(γ·(x − μ)·inv + β) = f(x·scale + shift)
        let gamma = param("weight").value, beta = param("bias").value
        for j in 0..<c { coef[j] = gamma[j] * inv[j]; coef[c + j] = beta[j] - mu[j] * coef[j] }
        ChannelKernels.scaleShift(x[0].pointer, y.pointer, rows: rows, c: c, scale: coef, shift: coef + c, act: activation)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        let c = channels, rows = x[0].count / c
        let mu = mean.pointer, inv = invStd.pointer
        // With dz = dy·f'(y) (never stored): dβ = Σ dz, dγ = Σ dz·x̂ = inv·Σ dz·(x − μ) per channel.
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
        defer { sums.deallocate() }
        ChannelKernels.gradientSums(x[0].pointer, y.pointer, dy.pointer, rows: rows, c: c, mean: mu, act: activation, sumDz: sums, sumDzX: sums + c)
        let coef = coefficients.get(3 * c), dbeta = coef, dgamma = coef + c
        for j in 0..<c { dbeta[j] = Float(sums[j]); dgamma[j] = Float(sums[c + j]) * inv[j] }
        if !isFrozen {
            Elementwise.accumulate(dbeta, into: param("bias").grad!.baseAddress!, count: c)
            Elementwise.accumulate(dgamma, into: param("weight").grad!.baseAddress!, count: c)
        }
        guard let dxT = dx[0] else { return }
        let gamma = param("weight").value
        // Batch statistics: dx = γ·inv/M·(M·dz − dβ − x̂·dγ) = a·dz + b·x + k with a = γ·inv,
        // b = −a·inv·dγ/M, k = −a·dβ/M − b·μ. Running statistics (constants): dx = a·dz.
        let a = coefficients.get(3 * c), b = a + c, k = a + 2 * c   // reuses the scratch: dβ, dγ are read first
        let m = Float(rows)
        for j in 0..<c {
            let aj = gamma[j] * inv[j], db = dbeta[j], dg = dgamma[j]
            a[j] = aj
            b[j] = -aj * inv[j] * dg / m
            k[j] = -aj * db / m - b[j] * mu[j]
        }
        ChannelKernels.affineGradient(x[0].pointer, y.pointer, dy.pointer, dxT.pointer, rows: rows, c: c, a: a, b: usedBatchStats ? b : nil,
                                      k: k, act: activation, overwrite: isFresh(0))
    }
}
