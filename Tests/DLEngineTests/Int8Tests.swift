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
    /// The int8 primitive's forward and the naive kernel on the dequantized values (x̂ = q(x)/sx, ŵ = q(w)/sw).
    private func run(_ c: ConvCase, signed: Bool, relu: Bool = false) throws -> (got: [Float], reference: [Float], exact: [Float], impl: String) {
        let g = c.g
        var x = randomArray(g.inputCount, seed: 11)
        if !signed { x = x.map { abs($0) * 3 } }                            // post-ReLU-like, 0…3
        let w = randomArray(g.weightCount, seed: 12), b = randomArray(g.outC, seed: 13)
        let perOut = g.weightCount / g.outC
        let ws = w.withUnsafeBufferPointer { DNNLConvolution.Quantization.weightScales($0.baseAddress!, outputs: g.outC, perOutput: perOut) }
        let (sx, isSigned) = DNNLConvolution.Quantization.source(minimum: x.min()!, maximum: x.max()!)
        #expect(isSigned == signed)
        let q = DNNLConvolution.Quantization(sourceScale: sx, signedSource: isSigned, weightScales: ws)
        let prim = try DNNLConvolution(g, hasBias: c.bias, fusedActivation: relu ? .relu : .identity, training: false, precision: .int8, quantization: q)
        let got = try output(g.outputCount) { y in try x.withPointer { xp in try w.withPointer { wp in
            try b.withPointer { try prim.forward(x: xp, w: wp, b: c.bias ? $0 : nil, y: y, weightsVersion: 3) } } } }
        let xr = x.map { quantized($0, scale: sx, lo: signed ? -128 : 0, hi: signed ? 127 : 255) / sx }
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
        for signed in [false, true] {
            let (got, reference, exact, impl) = try run(c, signed: signed)
            let d = scaledMaxDiff(got, reference)
            #expect(d < 1e-4, "signed \(signed): differs from the quantized reference by \(d) (\(impl))")
            #expect(scaledMaxDiff(got, exact) < 5e-2, "signed \(signed): far from float32 (\(impl))")
            #expect(scaledMaxDiff(got, exact) > 1e-5, "signed \(signed): no quantization visible (\(impl))")
        }
    }

    @Test("fused ReLU and a cached quantized copy of the weights")
    func reluAndCache() throws {
        let (got, reference, _, impl) = try run(ConvCase(h: 8, w: 8, ic: 32, oc: 32, k: 3), signed: false, relu: true)
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
        for q in [badCount, badScale, nanScale] {
            #expect(throws: EngineError.self) { try DNNLConvolution(g, hasBias: false, fusedActivation: .identity, training: false, precision: .int8, quantization: q) }
        }
        #expect(throws: EngineError.self) { try DNNLConvolution(g, hasBias: false, fusedActivation: .identity, training: true, precision: .int8, quantization: good) }
        #expect(throws: EngineError.self) { try DNNLConvolution(g, hasBias: false, fusedActivation: .identity, training: false, precision: .int8) }
    }
}
