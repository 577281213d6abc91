import Testing
@testable import DLEngine

/// A layer run in isolation for finite-difference checks: random inputs, random parameters,
/// loss L = Σ y·g for a fixed random g (or the layer's own loss for the softmax output).
final class LayerHarness {
    let layer: Layer
    let inputs: [Tensor]
    let output: Tensor
    let upstream: [Float]
    /// The layer's parameter, gradient and buffer blocks point into these tensors, which own their
    /// memory for the harness's lifetime (pointers taken inside `withUnsafeMutableBufferPointer` would
    /// be invalid once the closure returns).
    let params: Tensor, grads: Tensor, buffers: Tensor
    var ctx: ForwardContext
    let customLoss: ((LayerHarness) -> Double)?

    init(_ layer: Layer, inputShapes: [[Int]], batch: Int, training: Bool = true, seed: UInt64 = 7,
         customLoss: ((LayerHarness) -> Double)? = nil, inputOverride: [[Int]]? = nil) throws {
        self.layer = layer
        layer.inputShapes = inputShapes
        layer.outputShape = try layer.inferShape(inputShapes)
        inputs = (inputOverride ?? inputShapes).enumerated().map { randomTensor([batch] + $0.element, seed: seed + UInt64($0.offset)) }
        output = try Tensor(shape: [batch] + layer.outputShape)
        upstream = randomArray(output.count, seed: seed + 100)
        params = try Tensor(shape: [layer.parameterCount], values: randomArray(layer.parameterCount, seed: seed + 200))
        grads = try Tensor(shape: [layer.parameterCount])
        buffers = try Tensor(shape: [layer.bufferCount])
        ctx = ForwardContext(training: training, step: 3)
        self.customLoss = customLoss
        layer.bind(values: params.base, grads: grads.base, buffers: buffers.base)
        // Batch-norm running variance must be positive; start it at 1 + |noise|.
        for b in layer.buffers where b.name == "running_var" { for i in b.value.indices { b.value[i] = 1 + abs(b.value[i]) } }
    }

    /// Forward, then the scalar loss in double precision.
    func loss() throws -> Double {
        try layer.forward(inputs, output, ctx)
        if let customLoss { return customLoss(self) }
        var s = 0.0
        for i in 0..<output.count { s += Double(output[i]) * Double(upstream[i]) }
        return s
    }

    /// Analytic gradients: (dL/dx per input, dL/dθ). Pre-fills every gradient with 0.5 and subtracts it
    /// afterwards, so a backward that overwrites instead of accumulating fails the check.
    func analytic() throws -> ([[Float]], [Float]) {
        _ = try loss()
        let dy = try Tensor(shape: output.shape, values: upstream)
        let dxs = try inputs.map { try Tensor(shape: $0.shape, values: [Float](repeating: 0.5, count: $0.count)) }
        for b in layer.parameters { b.grad!.update(repeating: 0.5) }
        try layer.backward(inputs, output, dy, dxs)
        let pg = layer.parameters.flatMap { Array($0.grad!) }.map { $0 - 0.5 }
        return (dxs.map { $0.array.map { $0 - 0.5 } }, pg)
    }

    /// Central difference of the loss with respect to one float.
    func numeric(_ target: UnsafeMutablePointer<Float>, eps: Float) throws -> Double {
        let saved = target.pointee
        target.pointee = saved + eps
        let up = try loss()
        target.pointee = saved - eps
        let down = try loss()
        target.pointee = saved
        return (up - down) / (2 * Double(eps))
    }

    /// Checks up to `samples` coordinates of every input and parameter. Points where the two step sizes
    /// disagree (a kink: ReLU at 0, a max-pool tie) are skipped; at most a third may be skipped.
    func check(samples: Int = 20, eps: Float = 1e-2, tolerance: Double = 2e-2, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (dx, dp) = try analytic()
        var checked = 0, skipped = 0
        func compare(_ label: String, _ count: Int, _ analytic: [Float], _ ptr: (Int) -> UnsafeMutablePointer<Float>) throws {
            var rng = Xoshiro256(seed: UInt64(count) &+ 99)
            let picks = count <= samples ? Array(0..<count) : (0..<samples).map { _ in Int(rng.next() % UInt64(count)) }
            for i in picks {
                let n1 = try numeric(ptr(i), eps: eps), n2 = try numeric(ptr(i), eps: eps / 2)
                let scale = max(1, abs(n1), abs(Double(analytic[i])))
                if abs(n1 - n2) > tolerance * scale / 2 { skipped += 1; continue }
                checked += 1
                let err = abs(n2 - Double(analytic[i])) / scale
                #expect(err < tolerance, "\(layer.kind) \(label)[\(i)]: analytic \(analytic[i]) numeric \(n2)", sourceLocation: sourceLocation)
            }
        }
        for (k, x) in inputs.enumerated() { try compare("dx\(k)", x.count, dx[k]) { x.base + $0 } }
        var offset = 0
        for b in layer.parameters {
            let base = offset
            try compare("d\(b.name)", b.value.count, Array(dp[base..<(base + b.value.count)])) { b.value.baseAddress! + $0 }
            offset += b.value.count
        }
        #expect(checked > 0 && skipped * 2 <= checked, "\(checked) points checked, \(skipped) skipped", sourceLocation: sourceLocation)
    }
}
