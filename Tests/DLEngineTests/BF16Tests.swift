import Testing
@testable import DLEngine

/// `x` rounded to bfloat16 (8 significant bits, round to nearest, ties to even) and widened back:
/// an independent statement of what the shim's reorders must do.
func bf16Rounded(_ x: Float) -> Float {
    if x.isNaN { return x }
    let u = x.bitPattern
    let rounded = (u &+ 0x7FFF &+ ((u >> 16) & 1)) & 0xFFFF_0000
    return Float(bitPattern: rounded)
}

private let bf16Available = Precision.bf16.isSupported
private let noBF16 = "this CPU offers oneDNN no AVX-512 BF16 (effective ISA \(Precision.effectiveISA)): bf16 tests skipped"

/// The FP32 cases plus shapes large enough for oneDNN's blocked bf16 kernels (16+ channels).
private let bf16Cases = convCases + [
    ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3),                                                     // jit bf16 3x3
    ConvCase(h: 9, w: 9, ic: 64, oc: 32, k: 1, s: 2, pad: .symmetric(height: 0, width: 0), bias: false), // 1x1 stride 2 (subsampled dW)
    ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3, s: 2, groups: 32),                                   // depthwise
    ConvCase(n: 1, h: 1, w: 1, ic: 48, oc: 10, k: 1),                                               // a fully connected layer as 1x1
]

@Suite("bf16 convolutions: oneDNN against the naive kernel on bf16-rounded inputs", .enabled(if: bf16Available, Comment(rawValue: noBF16)))
struct BF16ConvolutionTests {
    /// (y, dx, dw, db) of the bf16 primitive, of the naive kernel on bf16-rounded x, w, dy, and of the naive
    /// kernel on the unrounded values.
    private func run(_ c: ConvCase, relu: Bool = false) throws -> (bf16: [[Float]], rounded: [[Float]], exact: [[Float]], impl: String) {
        let g = c.g
        let x = randomArray(g.inputCount, seed: 1), w = randomArray(g.weightCount, seed: 2)
        let b = randomArray(g.outC, seed: 3), dy = randomArray(g.outputCount, seed: 4)
        func naive(_ x: [Float], _ w: [Float], _ dy: [Float]) -> [[Float]] {
            let y = output(g.outputCount) { y in x.withPointer { xp in w.withPointer { wp in
                b.withPointer { ConvReference.forward(g, x: xp, w: wp, b: c.bias ? $0 : nil, y: y) } } } }
            let dx = output(g.inputCount) { dx in dy.withPointer { dyp in w.withPointer { ConvReference.backwardData(g, dy: dyp, w: $0, dx: dx) } } }
            var db = [Float](repeating: 0, count: g.outC)
            let dw = output(g.weightCount) { dw in x.withPointer { xp in dy.withPointer { dyp in
                db.withUnsafeMutableBufferPointer { ConvReference.backwardWeights(g, x: xp, dy: dyp, dw: dw, db: $0.baseAddress) } } } }
            return [relu ? y.map { max($0, 0) } : y, dx, dw, c.bias ? db : []]
        }
        let prim = try DNNLConvolution(g, hasBias: c.bias, fusedReLU: relu, precision: .bf16)
        let y = try output(g.outputCount) { y in try x.withPointer { xp in try w.withPointer { wp in
            try b.withPointer { try prim.forward(x: xp, w: wp, b: c.bias ? $0 : nil, y: y) } } } }
        let dx = try output(g.inputCount) { dx in try dy.withPointer { dyp in try w.withPointer { try prim.backwardData(dy: dyp, w: $0, dx: dx) } } }
        var db = [Float](repeating: 0, count: g.outC)
        let dw = try output(g.weightCount) { dw in try x.withPointer { xp in try dy.withPointer { dyp in
            try db.withUnsafeMutableBufferPointer { try prim.backwardWeights(x: xp, dy: dyp, dw: dw, db: c.bias ? $0.baseAddress : nil) } } } }
        let r = { (a: [Float]) in a.map(bf16Rounded) }
        return ([y, dx, dw, c.bias ? db : []], naive(r(x), r(w), r(dy)), naive(x, w, dy), prim.implementation)
    }

    @Test("forward, backward-data and backward-weights are float32 sums of bf16-rounded products", arguments: bf16Cases)
    func againstRoundedReference(_ c: ConvCase) throws {
        let (got, rounded, exact, impl) = try run(c)
        let names = ["forward", "backward-data", "backward-weights", "backward-bias"]
        var roundingSeen = false
        for part in 0..<4 where !got[part].isEmpty {
            let d = scaledMaxDiff(got[part], rounded[part])
            #expect(d < 1e-4, "\(names[part]) differs from the bf16-rounded reference by \(d) (\(impl))")
            #expect(got[part].allSatisfy { $0.isFinite })
            // Within bf16 tolerance of the exact float32 result (8 significant bits per factor).
            #expect(scaledMaxDiff(got[part], exact[part]) < 3e-2, "\(names[part]) far from float32 (\(impl))")
            if scaledMaxDiff(got[part], exact[part]) > 1e-4 { roundingSeen = true }
        }
        // The inputs really were rounded: a float32 path would match the exact reference to ~1e-6.
        #expect(roundingSeen, "no part shows bf16 rounding (\(impl))")
    }

    @Test("the blocked shapes run on oneDNN's bf16 kernels, not its reference or float32 code")
    func bf16Kernel() throws {
        let g = ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3).g
        let prim = try DNNLConvolution(g, hasBias: true, precision: .bf16)
        #expect(prim.implementation.contains("bf16"), "implementation \(prim.implementation)")
        #expect(!prim.implementation.hasPrefix("ref"))
    }

    @Test("a fused ReLU applies to the bf16 result")
    func fusedReLU() throws {
        let (got, rounded, _, _) = try run(ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3), relu: true)
        #expect(scaledMaxDiff(got[0], rounded[0]) < 1e-4)
        #expect(got[0].min() == 0)
    }

    @Test("rounding helper: ties go to even, large values keep their exponent")
    func roundingHelper() {
        #expect(bf16Rounded(1) == 1)
        #expect(bf16Rounded(Float(bitPattern: 0x3F80_8000)) == 1)                         // tie, even below
        #expect(bf16Rounded(Float(bitPattern: 0x3F81_8000)) == Float(bitPattern: 0x3F82_0000)) // tie, even above
        #expect(bf16Rounded(Float(bitPattern: 0x3F80_8001)) == Float(bitPattern: 0x3F81_0000))
        let big = bf16Rounded(-3.0e38)
        #expect(big.bitPattern & 0xFFFF == 0 && big < 0 && abs(big / -3.0e38 - 1) < 1.0 / 256)
    }
}

@Suite("bf16 models", .enabled(if: bf16Available, Comment(rawValue: noBF16)))
struct BF16ModelTests {
    /// Loss and parameter gradients of one forward/backward of the small CNN in `precision`.
    private func gradients(_ precision: Precision) throws -> (loss: Double, grads: [Float]) {
        let model = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 4, widths: [16, 32], seed: 3)
        try model.setPrecision(precision)
        let data = patternDataset(perClass: 4, seed: 2)
        let x = try Tensor(shape: [16, 8, 8, 1], values: Array(data.values.prefix(16 * 64)))
        let labels = Array(data.labels.prefix(16))
        _ = try model.forward(x, training: true)
        model.zeroGradients()
        try model.backward(labels: labels)
        return (model.lossAndErrors(labels: labels).loss, model.gradients.array)
    }

    @Test("a bf16 forward/backward of a whole model stays within bf16 tolerance of float32, and differs from it")
    func modelGradients() throws {
        let f = try gradients(.fp32), h = try gradients(.bf16)
        #expect(abs(f.loss - h.loss) < 0.02 * max(1, abs(f.loss)), "loss fp32 \(f.loss) bf16 \(h.loss)")
        let d = scaledMaxDiff(h.grads, f.grads)
        #expect(d < 5e-2, "gradients differ by \(d)")
        #expect(h.grads != f.grads)
        // Direction of the whole gradient: cosine similarity close to 1.
        let dot = zip(h.grads, f.grads).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let nh = h.grads.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot(), nf = f.grads.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
        #expect(dot / (nh * nf) > 0.995, "cosine \(dot / (nh * nf))")
    }

    @Test("bf16 training learns the pattern set as float32 does")
    func training() throws {
        func train(_ p: Precision) throws -> (Model, TrainingResult) {
            let model = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 4, seed: 1)
            try model.setPrecision(p)
            let options = TrainingOptions(epochs: 25, batchSize: 8, learningRate: 0.05, sgd: SGDOptions(momentum: 0.9), seed: 1)
            return (model, try Trainer.train(model, data: patternDataset(perClass: 8, seed: 2), options: options))
        }
        let (m, r) = try train(.bf16)
        let (_, r32) = try train(.fp32)
        #expect(r.history.last!.loss < r.history.first!.loss / 4, "bf16 loss \(r.history.first!.loss) -> \(r.history.last!.loss)")
        #expect(r.history.last!.loss != r32.history.last!.loss)
        let score = try Trainer.score(m, data: patternDataset(perClass: 8, seed: 2))
        #expect(score.errorRate == 0, "confusion \(score.confusion)")
    }
}

@Test("precision FP32 is always supported; the ISA name is oneDNN's")
func precisionSupport() throws {
    #expect(Precision.fp32.isSupported)
    try Precision.fp32.requireSupport()
    #expect(!Precision.effectiveISA.isEmpty && Precision.effectiveISA != "unknown")
    if !Precision.bf16.isSupported {
        #expect(throws: EngineError.self) { try Precision.bf16.requireSupport() }
    }
}

@Test("the combined backward (dy read once) equals the two separate passes, in FP32 and BF16",
      arguments: [ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3), ConvCase(h: 9, w: 9, ic: 64, oc: 32, k: 1, s: 2, pad: .symmetric(height: 0, width: 0)),
                  ConvCase(h: 7, w: 6, ic: 8, oc: 8, k: 3, s: 2, groups: 8, bias: false)])
func combinedBackward(_ c: ConvCase) throws {
    let g = c.g
    let x = randomArray(g.inputCount, seed: 21), w = randomArray(g.weightCount, seed: 22), dy = randomArray(g.outputCount, seed: 23)
    for precision in [Precision.fp32, .bf16] where precision.isSupported {
        let prim = try DNNLConvolution(g, hasBias: c.bias, precision: precision)
        func separate() throws -> [[Float]] {
            var db = [Float](repeating: 0, count: g.outC)
            let dw = try output(g.weightCount) { dw in try x.withPointer { xp in try dy.withPointer { dyp in
                try db.withUnsafeMutableBufferPointer { try prim.backwardWeights(x: xp, dy: dyp, dw: dw, db: c.bias ? $0.baseAddress : nil) } } } }
            let dx = try output(g.inputCount) { dx in try dy.withPointer { dyp in try w.withPointer { try prim.backwardData(dy: dyp, w: $0, dx: dx) } } }
            return [dx, dw, db]
        }
        func combined() throws -> [[Float]] {
            var db = [Float](repeating: 0, count: g.outC), dw = [Float](repeating: .nan, count: g.weightCount)
            let dx = try output(g.inputCount) { dx in try x.withPointer { xp in try dy.withPointer { dyp in try w.withPointer { wp in
                try dw.withUnsafeMutableBufferPointer { dwp in try db.withUnsafeMutableBufferPointer { dbp in
                    try prim.backward(x: xp, dy: dyp, w: wp, dx: dx, dw: dwp.baseAddress, db: c.bias ? dbp.baseAddress : nil) } } } } } }
            return [dx, dw, db]
        }
        #expect(try combined() == separate(), "\(precision)")
        // dx only (a frozen layer): the weight gradient is not touched.
        let dxOnly = try output(g.inputCount) { dx in try x.withPointer { xp in try dy.withPointer { dyp in try w.withPointer { wp in
            try prim.backward(x: xp, dy: dyp, w: wp, dx: dx, dw: nil, db: nil) } } } }
        #expect(try dxOnly == separate()[0])
    }
}
