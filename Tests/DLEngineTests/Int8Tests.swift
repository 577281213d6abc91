import Testing
@testable import DLEngine

private let vnniAvailable = Precision.int8.isSupported
private let noVNNI = "this CPU offers oneDNN no AVX-512 VNNI (effective ISA \(Precision.effectiveISA)): int8 tests skipped"

/// round half to even, saturated to [lo, hi]: what oneDNN's f32 → int8 reorders do, written independently.
func quantized(_ x: Float, scale: Float, lo: Float, hi: Float) -> Float {
    min(max((x * scale).rounded(.toNearestOrEven), lo), hi)
}

private let int8Cases: [ConvCase] = [
    ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3),
    ConvCase(h: 9, w: 9, ic: 64, oc: 32, k: 1, s: 2, pad: .symmetric(height: 0, width: 0), bias: false),
    ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3, s: 2, groups: 32),          // depthwise (MobileNetV2)
    ConvCase(n: 1, h: 11, w: 11, ic: 3, oc: 16, k: 7, s: 2),              // a stem on 3 channels
    ConvCase(h: 6, w: 6, ic: 8, oc: 4, k: 3, groups: 2),
]

@Suite("int8 convolutions: oneDNN against the naive kernel on quantized inputs", .enabled(if: vnniAvailable, Comment(rawValue: noVNNI)))
struct Int8ConvolutionTests {
    /// How the source is quantized in a case.
    enum Mode: CaseIterable { case unsigned, zeroPoint, symmetric }

    /// The int8 primitive's forward and the naive kernel on the dequantized values (x̂ = (q(x) − zp)/sx, ŵ = q(w)/sw).
    private func run(_ c: ConvCase, mode: Mode, relu: Bool = false) throws -> (got: [Float], reference: [Float], exact: [Float], impl: String) {
        let g = c.g
        var x = randomArray(g.inputCount, seed: 11)
        if mode == .unsigned { x = x.map { abs($0) * 3 } }                  // post-ReLU-like, 0…3
        if mode == .zeroPoint { x = x.map { $0 < 0 ? $0 * 0.5 : $0 * 2 } }   // asymmetric, −0.5…2
        let w = randomArray(g.weightCount, seed: 12), b = randomArray(g.outC, seed: 13)
        let perOut = g.weightCount / g.outC
        let ws = w.withUnsafeBufferPointer { DNNLConvolution.Quantization.weightScales($0.baseAddress!, outputs: g.outC, perOutput: perOut) }
        var (sx, zp) = DNNLConvolution.Quantization.source(minimum: x.min()!, maximum: x.max()!)
        #expect((zp > 0) == (mode != .unsigned))
        let signed = mode == .symmetric
        if signed { sx = 127 / x.map { abs($0) }.max()!; zp = 0 }
        let q = DNNLConvolution.Quantization(sourceScale: sx, signedSource: signed, zeroPoint: zp, weightScales: ws)
        let prim = try DNNLConvolution(g, hasBias: c.bias, fusedActivation: relu ? .relu : .identity, training: false, precision: .int8, quantization: q)
        let got = try output(g.outputCount) { y in try x.withPointer { xp in try w.withPointer { wp in
            try b.withPointer { try prim.forward(x: xp, w: wp, b: c.bias ? $0 : nil, y: y, weightsVersion: 3) } } } }
        let xr = x.map { (min(max(($0 * sx).rounded(.toNearestOrEven) + Float(zp), signed ? -128 : 0), signed ? 127 : 255) - Float(zp)) / sx }
        let wr = w.indices.map { quantized(w[$0], scale: ws[$0 / perOut], lo: -128, hi: 127) / ws[$0 / perOut] }
        func naive(_ x: [Float], _ w: [Float]) -> [Float] {
            let y = output(g.outputCount) { y in x.withPointer { xp in w.withPointer { wp in
                b.withPointer { ConvReference.forward(g, x: xp, w: wp, b: c.bias ? $0 : nil, y: y) } } } }
            return relu ? y.map { max($0, 0) } : y
        }
        return (got, naive(xr, wr), naive(x, w), prim.implementation)
    }

    @Test("forward equals the float32 convolution of the quantized values", arguments: int8Cases)
    func againstQuantizedReference(_ c: ConvCase) throws {
        for mode in Mode.allCases {
            let (got, reference, exact, impl) = try run(c, mode: mode)
            let d = scaledMaxDiff(got, reference)
            #expect(d < 1e-4, "\(mode): differs from the quantized reference by \(d) (\(impl))")
            #expect(scaledMaxDiff(got, exact) < 5e-2, "\(mode): far from float32 (\(impl))")
            #expect(scaledMaxDiff(got, exact) > 1e-5, "\(mode): no quantization visible (\(impl))")
        }
    }

    @Test("fused ReLU and a cached quantized copy of the weights")
    func reluAndCache() throws {
        let (got, reference, _, impl) = try run(ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3), mode: .zeroPoint, relu: true)
        #expect(scaledMaxDiff(got, reference) < 1e-4)
        #expect(got.min() == 0)
        #expect(impl.contains("int8") || impl.contains("x8s8") || impl.contains("vnni"), "implementation \(impl)")
    }

    @Test("bad quantizations are refused, not run")
    func refused() throws {
        let g = ConvCase(h: 4, w: 4, ic: 4, oc: 4, k: 3).g
        let good = DNNLConvolution.Quantization(sourceScale: 1, signedSource: true, weightScales: [1, 1, 1, 1])
        var badCount = good; badCount.weightScales = [1, 1]
        var badScale = good; badScale.sourceScale = 0
        var nanScale = good; nanScale.weightScales = [1, .nan, 1, 1]
        var signedZero = good; signedZero.zeroPoint = 3                       // s8 takes no zero point
        var bigZero = good; bigZero.signedSource = false; bigZero.zeroPoint = 300
        for q in [badCount, badScale, nanScale, signedZero, bigZero] {
            #expect(throws: EngineError.self) { try DNNLConvolution(g, hasBias: false, fusedActivation: .identity, training: false, precision: .int8, quantization: q) }
        }
        #expect(throws: EngineError.self) { try DNNLConvolution(g, hasBias: false, fusedActivation: .identity, training: true, precision: .int8, quantization: good) }
        #expect(throws: EngineError.self) { try DNNLConvolution(g, hasBias: false, fusedActivation: .identity, training: false, precision: .int8) }
    }
}

@Suite("int8 degenerate ranges", .enabled(if: Precision.int8.isSupported, "no AVX-512 VNNI"))
struct Int8DegenerateTests {
    @Test("ranges below 1e-20 or above 1e20, and scales whose product leaves float32, give no quantization")
    func make() {
        let w: [Float] = [0.5, -0.25, 1e-39, 0]
        w.withUnsafeBufferPointer { p in
            #expect(DNNLConvolution.Quantization.make(minimum: 0, maximum: 1, weights: p.baseAddress!, outputs: 2, perOutput: 2) != nil)
            #expect(DNNLConvolution.Quantization.make(minimum: 0, maximum: 1e-38, weights: p.baseAddress!, outputs: 2, perOutput: 2) == nil)
            #expect(DNNLConvolution.Quantization.make(minimum: 0, maximum: 3e38, weights: p.baseAddress!, outputs: 2, perOutput: 2) == nil)
            #expect(DNNLConvolution.Quantization.make(minimum: -3e38, maximum: 3e38, weights: p.baseAddress!, outputs: 2, perOutput: 2) == nil)
            // a channel of (near-)zero weights quantizes to zeros with scale 1
            #expect(DNNLConvolution.Quantization.weightScales(p.baseAddress!, outputs: 2, perOutput: 2) == [254, 1])
        }
        #expect(DNNLConvolution.Quantization.source(minimum: 0, maximum: 1e-45) == (1, 0))
    }

    @Test("a model whose activations are tiny, or whose stored range is huge, scores as in FP32 instead of failing")
    func degenerateModels() throws {
        let model = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 4, seed: 3)
        let data = patternDataset(perClass: 2, seed: 2)
        let x = try Tensor(shape: [8, 8, 8, 1], values: data.values.map { $0 * 1e-39 })
        let fp32 = try model.forward(x, training: false).array
        try model.calibrate([x])
        try model.setPrecision(.int8)
        #expect(try model.forward(x, training: false).array == fp32)
        try model.setPrecision(.fp32)
        try model.setCalibration(["conv2": 0...3e38])
        try model.setPrecision(.int8)
        let huge = try model.forward(x, training: false).array
        #expect(huge == fp32 && huge.allSatisfy { $0.isFinite })
    }
}
