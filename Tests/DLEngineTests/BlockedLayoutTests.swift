import Testing
@testable import DLEngine

/// Convolutions whose channel counts oneDNN blocks (nChw8c on AVX2, nChw16c on AVX-512): the shim reorders
/// NHWC activations into that layout and back on every call. Each case runs forward (bias, fused ReLU) and
/// the combined backward (`dlshim_conv_backward`: dw and db, then dx into the buffer src was moved into)
/// and compares with the direct loops.
@Suite("oneDNN blocked activation layouts")
struct BlockedLayoutTests {
    static let cases: [ConvCase] = [
        ConvCase(h: 10, w: 9, ic: 16, oc: 24, k: 3),                        // multiples of 8: the VGG shape
        ConvCase(h: 9, w: 9, ic: 20, oc: 12, k: 3, s: 2),                   // padded channel blocks, stride 2
        ConvCase(n: 3, h: 7, w: 7, ic: 24, oc: 16, k: 1, bias: false),      // 1x1
        ConvCase(h: 8, w: 8, ic: 16, oc: 16, k: 3, groups: 16),             // depthwise
        ConvCase(h: 8, w: 8, ic: 16, oc: 32, k: 3, groups: 2, bias: false), // grouped
        ConvCase(h: 12, w: 12, ic: 3, oc: 16, k: 3),                        // stem: 3 input channels
        ConvCase(h: 8, w: 8, ic: 8, oc: 8, k: 3, d: 2),                     // dilated
    ]

    /// y = ReLU(conv + b), then (dx, dw, db) of dy through `prim`'s combined backward; outputs start as NaN
    /// so a pass that leaves part of them unwritten fails.
    static func run(_ prim: DNNLConvolution, _ c: ConvCase) throws -> [[Float]] {
        let g = c.g
        let x = randomArray(g.inputCount, seed: 21), w = randomArray(g.weightCount, seed: 22)
        let b = randomArray(g.outC, seed: 23), dy = randomArray(g.outputCount, seed: 24)
        let y = try output(g.outputCount) { y in
            try x.withPointer { xp in try w.withPointer { wp in try b.withPointer { try prim.forward(x: xp, w: wp, b: c.bias ? $0 : nil, y: y) } } }
        }
        var dw = [Float](repeating: .nan, count: g.weightCount), db = [Float](repeating: .nan, count: c.bias ? g.outC : 0)
        let dx = try output(g.inputCount) { dx in
            try x.withPointer { xp in try dy.withPointer { dyp in try w.withPointer { wp in
                try dw.withUnsafeMutableBufferPointer { dwp in try db.withUnsafeMutableBufferPointer { dbp in
                    try prim.backward(x: xp, dy: dyp, w: wp, dx: dx, dw: dwp.baseAddress!, db: c.bias ? dbp.baseAddress : nil)
                } }
            } } }
        }
        return [y, dx, dw, db]
    }

    /// The same through the direct loops (ReLU applied after).
    static func reference(_ c: ConvCase) -> [[Float]] {
        let g = c.g
        let x = randomArray(g.inputCount, seed: 21), w = randomArray(g.weightCount, seed: 22)
        let b = randomArray(g.outC, seed: 23), dy = randomArray(g.outputCount, seed: 24)
        let y = output(g.outputCount) { y in
            x.withPointer { xp in w.withPointer { wp in b.withPointer { ConvReference.forward(g, x: xp, w: wp, b: c.bias ? $0 : nil, y: y) } } }
        }.map { max($0, 0) }
        let dx = output(g.inputCount) { dx in dy.withPointer { dyp in w.withPointer { ConvReference.backwardData(g, dy: dyp, w: $0, dx: dx) } } }
        var db = [Float](repeating: 0, count: c.bias ? g.outC : 0)
        let dw = output(g.weightCount) { dw in
            x.withPointer { xp in dy.withPointer { dyp in db.withUnsafeMutableBufferPointer {
                ConvReference.backwardWeights(g, x: xp, dy: dyp, dw: dw, db: c.bias ? $0.baseAddress : nil)
            } } }
        }
        return [y, dx, dw, db]
    }

    @Test("every pass matches the direct loops, twice on one primitive", arguments: cases)
    func matchesReference(_ c: ConvCase) throws {
        let prim = try DNNLConvolution(c.g, hasBias: c.bias, fusedReLU: true, layout: .blocked)
        let expected = Self.reference(c)
        for round in 0..<2 {
            let got = try Self.run(prim, c)
            for (part, name) in ["forward", "backward-data", "backward-weights", "backward-bias"].enumerated() {
                let d = scaledMaxDiff(got[part], expected[part])
                #expect(d < 2e-5, "round \(round) \(name) differs by \(d) (blocked: \(prim.blocksActivations))")
            }
        }
    }

    @Test("the layout is the one asked for: blocked where oneDNN blocks, NHWC when told, automatic blocks without AVX-512")
    func layoutChosen() throws {
        let g = Self.cases[0].g
        let blocked = try DNNLConvolution(g, hasBias: true, layout: .blocked)
        let nhwc = try DNNLConvolution(g, hasBias: true, layout: .nhwc)
        let automatic = try DNNLConvolution(g, hasBias: true)
        #expect(blocked.blocksActivations)
        #expect(!nhwc.blocksActivations)
        #expect(automatic.blocksActivations == !Precision.effectiveISA.hasPrefix("avx512"))
        // Strided 1x1 weight gradients go through the shim's NHWC workaround (docs/engine.md): never blocked.
        let downsample = ConvCase(h: 8, w: 8, ic: 16, oc: 32, k: 1, s: 2, pad: .symmetric(height: 0, width: 0)).g
        #expect(try !DNNLConvolution(downsample, hasBias: false, layout: .blocked).blocksActivations)
    }

    @Test("an inference primitive with a cached weights version gives the training primitive's output")
    func inferenceBlocked() throws {
        let c = Self.cases[1], g = c.g
        let train = try DNNLConvolution(g, hasBias: true, fusedReLU: true, layout: .blocked)
        let infer = try DNNLConvolution(g, hasBias: true, fusedReLU: true, training: false, layout: .blocked)
        let x = randomArray(g.inputCount, seed: 5), w = randomArray(g.weightCount, seed: 6), b = randomArray(g.outC, seed: 7)
        func fwd(_ p: DNNLConvolution, _ version: UInt64) throws -> [Float] {
            try output(g.outputCount) { y in try x.withPointer { xp in try w.withPointer { wp in try b.withPointer { try p.forward(x: xp, w: wp, b: $0, y: y, weightsVersion: version) } } } }
        }
        let expected = try fwd(train, 0)
        // oneDNN's AVX-512 inference kernels may sum in another order than its training kernels: equal up to float
        // rounding (stale or wrongly reordered weights would be off by the weights' size); the cached second call
        // gives the first's output exactly
        let first = try fwd(infer, 3), scale = expected.map(abs).max()!
        let diff = zip(first, expected).map { abs($0 - $1) }.max()!
        #expect(diff <= 1e-5 * scale, "largest difference \(diff) of outputs up to \(scale)")
        #expect(try fwd(infer, 3) == first)
    }
}
