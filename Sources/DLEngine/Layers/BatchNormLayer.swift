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
    private let sums = Scratch()                       // [2C] backward reductions

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

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let c = channels, rows = x[0].count / c
        let xp = x[0].pointer, yp = y.pointer
        let mu = mean.get(c), inv = invStd.get(c)
        let rm = param("running_mean").value, rv = param("running_var").value
        usedBatchStats = ctx.training && !isFrozen
        if usedBatchStats {
            var s = [Double](repeating: 0, count: c), ss = [Double](repeating: 0, count: c)
            for r in 0..<rows { let row = xp + r * c; for j in 0..<c { let v = Double(row[j]); s[j] += v; ss[j] += v * v } }
            for j in 0..<c {
                let m = s[j] / Double(rows)
                let varB = max(ss[j] / Double(rows) - m * m, 0)
                mu[j] = Float(m)
                inv[j] = Float(1 / (varB + Double(epsilon)).squareRoot())
                let unbiased = rows > 1 ? varB * Double(rows) / Double(rows - 1) : varB
                rm[j] = (1 - momentum) * rm[j] + momentum * Float(m)
                rv[j] = (1 - momentum) * rv[j] + momentum * Float(unbiased)
            }
        } else {
            for j in 0..<c { mu[j] = rm[j]; inv[j] = 1 / (rv[j] + epsilon).squareRoot() }
        }
        let gamma = param("weight").value, beta = param("bias").value
        for r in 0..<rows {
            let xr = xp + r * c, yr = yp + r * c
            for j in 0..<c { yr[j] = gamma[j] * (xr[j] - mu[j]) * inv[j] + beta[j] }
        }
        activation.apply(yp, count: y.count)
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        let c = channels, rows = x[0].count / c
        let xp = x[0].pointer, dz = dy.pointer
        activation.backward(output: y.pointer, outputGrad: dz, into: dz, count: dy.count)
        let mu = mean.pointer, inv = invStd.pointer
        // dβ = Σ dz, dγ = Σ dz·x̂ (per channel)
        let dbeta = sums.get(2 * c), dgamma = dbeta + c
        dbeta.update(repeating: 0, count: 2 * c)
        for r in 0..<rows {
            let xr = xp + r * c, dr = dz + r * c
            for j in 0..<c { dbeta[j] += dr[j]; dgamma[j] += dr[j] * (xr[j] - mu[j]) * inv[j] }
        }
        if !isFrozen {
            Elementwise.accumulate(dbeta, into: param("bias").grad!.baseAddress!, count: c)
            Elementwise.accumulate(dgamma, into: param("weight").grad!.baseAddress!, count: c)
        }
        guard let dxT = dx[0] else { return }
        let gamma = param("weight").value, out = dxT.pointer
        if usedBatchStats {
            // dx = γ·inv/M · (M·dz - dβ - x̂·dγ)
            let m = Float(rows)
            for r in 0..<rows {
                let xr = xp + r * c, dr = dz + r * c, o = out + r * c
                for j in 0..<c {
                    let xhat = (xr[j] - mu[j]) * inv[j]
                    o[j] += gamma[j] * inv[j] / m * (m * dr[j] - dbeta[j] - xhat * dgamma[j])
                }
            }
        } else {
            for r in 0..<rows {
                let dr = dz + r * c, o = out + r * c
                for j in 0..<c { o[j] += gamma[j] * inv[j] * dr[j] }
            }
        }
    }
}
