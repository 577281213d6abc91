import Testing
@testable import DLEngine

/// One convolution configuration of the comparison table.
struct ConvCase: CustomTestStringConvertible, Sendable {
    let g: ConvGeometry
    let bias: Bool
    var testDescription: String { "\(g)\(bias ? " +bias" : "")" }

    init(n: Int = 2, h: Int, w: Int, ic: Int, oc: Int, k: Int, kw: Int? = nil, s: Int = 1, d: Int = 1,
         pad: Padding = .same, groups: Int = 1, bias: Bool = true) {
        g = ConvGeometry(batch: n, inH: h, inW: w, inC: ic, outC: oc, kernelH: k, kernelW: kw ?? k, strideH: s,
                         strideW: s, dilationH: d, dilationW: d, padding: pad, groups: groups)
        self.bias = bias
    }
}

let convCases: [ConvCase] = [
    ConvCase(h: 5, w: 5, ic: 3, oc: 4, k: 3),                                  // plain same 3x3
    ConvCase(h: 6, w: 7, ic: 4, oc: 8, k: 3, s: 2),                            // same, stride 2: extra pad bottom/right
    ConvCase(h: 8, w: 8, ic: 4, oc: 4, k: 1, bias: false),                     // 1x1
    ConvCase(h: 7, w: 7, ic: 4, oc: 6, k: 1, s: 2, pad: .symmetric(height: 0, width: 0)),
    ConvCase(h: 9, w: 8, ic: 3, oc: 5, k: 5, kw: 3, s: 2, pad: .explicit(top: 2, left: 0, bottom: 1, right: 1)),
    ConvCase(h: 8, w: 8, ic: 4, oc: 4, k: 3, d: 2),                            // dilated, same
    ConvCase(h: 6, w: 6, ic: 8, oc: 4, k: 3, groups: 2),                       // grouped
    ConvCase(h: 7, w: 6, ic: 8, oc: 8, k: 3, s: 2, groups: 8, bias: false),    // depthwise stride 2
    ConvCase(h: 6, w: 6, ic: 4, oc: 8, k: 3, groups: 4),                       // depthwise multiplier 2
    ConvCase(n: 1, h: 11, w: 11, ic: 3, oc: 16, k: 7, s: 2),                    // ResNet stem, small
    ConvCase(h: 4, w: 4, ic: 2, oc: 3, k: 2, pad: .symmetric(height: 0, width: 0)), // even kernel, valid
    ConvCase(h: 5, w: 6, ic: 2, oc: 3, k: 2, s: 1),                            // even kernel, same: pad only bottom/right
    ConvCase(n: 3, h: 16, w: 16, ic: 4, oc: 8, k: 1, s: 2, pad: .symmetric(height: 0, width: 0), bias: false),  // ResNet downsample
]

/// Runs the three implementations on one case (oneDNN computing in `layout`) and returns (forward, dx, dw, db)
/// per implementation.
private func runAll(_ c: ConvCase, layout: DNNLConvolution.ActivationLayout) throws -> [[[Float]]] {
    let g = c.g
    let x = randomArray(g.inputCount, seed: 1), w = randomArray(g.weightCount, seed: 2)
    let b = randomArray(g.outC, seed: 3), dy = randomArray(g.outputCount, seed: 4)
    let bp: [Float]? = c.bias ? b : nil
    func run(_ fwd: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>) throws -> Void,
             _ bwdD: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void,
             _ bwdW: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?) throws -> Void
    ) throws -> [[Float]] {
        let y = try output(g.outputCount) { y in
            try x.withPointer { xp in try w.withPointer { wp in
                if let bp { try bp.withPointer { try fwd(xp, wp, $0, y) } } else { try fwd(xp, wp, nil, y) }
            } }
        }
        let dx = try output(g.inputCount) { dx in try dy.withPointer { dyp in try w.withPointer { try bwdD(dyp, $0, dx) } } }
        var db = [Float](repeating: 0, count: c.bias ? g.outC : 0)
        let dw = try output(g.weightCount) { dw in
            try x.withPointer { xp in try dy.withPointer { dyp in
                try db.withUnsafeMutableBufferPointer { try bwdW(xp, dyp, dw, c.bias ? $0.baseAddress : nil) }
            } }
        }
        return [y, dx, dw, db]
    }
    let naive = try run({ ConvReference.forward(g, x: $0, w: $1, b: $2, y: $3) },
                        { ConvReference.backwardData(g, dy: $0, w: $1, dx: $2) },
                        { ConvReference.backwardWeights(g, x: $0, dy: $1, dw: $2, db: $3) })
    let gemm = try run({ ConvIm2col.forward(g, x: $0, w: $1, b: $2, y: $3) },
                       { ConvIm2col.backwardData(g, dy: $0, w: $1, dx: $2) },
                       { ConvIm2col.backwardWeights(g, x: $0, dy: $1, dw: $2, db: $3) })
    let prim = try DNNLConvolution(g, hasBias: c.bias, layout: layout)
    // Three rounds on one primitive: oneDNN 2.6.3 had a multi-threaded 1x1 stride-2 backward-weights
    // kernel that was right on odd calls only (worked around in the shim).
    let dnnl = try (0..<3).map { _ in
        try run({ try prim.forward(x: $0, w: $1, b: $2, y: $3) },
                { try prim.backwardData(dy: $0, w: $1, dx: $2) },
                { try prim.backwardWeights(x: $0, dy: $1, dw: $2, db: $3) })
    }
    return [naive, gemm] + dnnl
}

@Suite("Convolution kernels: naive vs im2col+sgemm vs oneDNN")
struct ConvolutionKernelTests {
    @Test("all three agree, oneDNN in NHWC and in its blocked layouts", arguments: convCases, [DNNLConvolution.ActivationLayout.nhwc, .blocked])
    func threeWay(_ c: ConvCase, layout: DNNLConvolution.ActivationLayout) throws {
        #expect(c.g.problem == nil)
        let r = try runAll(c, layout: layout)
        let names = ["forward", "backward-data", "backward-weights", "backward-bias"]
        for (impl, label) in [(1, "im2col"), (2, "oneDNN"), (3, "oneDNN 2nd call"), (4, "oneDNN 3rd call")] {
            for part in 0..<4 {
                let d = scaledMaxDiff(r[impl][part], r[0][part])
                #expect(d < 2e-5, "\(label) \(names[part]) differs by \(d)")
                #expect(r[impl][part].allSatisfy { $0.isFinite }, "\(label) \(names[part]) has non-finite values")
            }
        }
    }

    @Test("one hand-computed value: 3x3 same on a 3x3 ones image")
    func handComputed() throws {
        // x = 1 everywhere, w = 1 everywhere, same padding 1: corner sees 4 taps, edge 6, centre 9.
        let g = ConvGeometry(batch: 1, inH: 3, inW: 3, inC: 1, outC: 1, kernelH: 3, kernelW: 3)
        let prim = try DNNLConvolution(g, hasBias: false)
        let ones = [Float](repeating: 1, count: 9)
        let y = try output(9) { y in try ones.withPointer { xp in try ones.withPointer { try prim.forward(x: xp, w: $0, b: nil, y: y) } } }
        #expect(y == [4, 6, 4, 6, 9, 6, 4, 6, 4])
    }

    @Test("fused ReLU post-op equals ReLU of the plain output")
    func fusedReLU() throws {
        let g = ConvCase(h: 6, w: 6, ic: 4, oc: 8, k: 3, s: 2).g
        let x = randomArray(g.inputCount, seed: 9), w = randomArray(g.weightCount, seed: 10), b = randomArray(g.outC, seed: 11)
        let plain = try DNNLConvolution(g, hasBias: true), fused = try DNNLConvolution(g, hasBias: true, fusedReLU: true, training: false)
        func fwd(_ p: DNNLConvolution) throws -> [Float] {
            try output(g.outputCount) { y in try x.withPointer { xp in try w.withPointer { wp in try b.withPointer { try p.forward(x: xp, w: wp, b: $0, y: y) } } } }
        }
        let expected = try fwd(plain).map { max($0, 0) }
        let got = try fwd(fused)
        #expect(scaledMaxDiff(got, expected) < 1e-6)
        #expect(got.contains(0) && got.contains { $0 > 0 })
    }

    @Test("a weights version lets forward reuse the reordered weights; a new version refreshes them")
    func weightsVersion() throws {
        let g = ConvGeometry(batch: 1, inH: 6, inW: 6, inC: 32, outC: 32, kernelH: 3, kernelW: 3)
        let prim = try DNNLConvolution(g, hasBias: false)
        #expect(prim.reordersWeights)   // blocked weights for 32 channels on an AVX-512 CPU
        let x = randomArray(g.inputCount, seed: 1)
        var w = randomArray(g.weightCount, seed: 2)
        func run(_ version: UInt64) throws -> [Float] {
            try output(g.outputCount) { y in try x.withPointer { xp in try w.withUnsafeBufferPointer { try prim.forward(x: xp, w: $0.baseAddress!, b: nil, y: y, weightsVersion: version) } } }
        }
        let first = try run(7)
        for i in w.indices { w[i] = -w[i] }
        #expect(try run(7) == first)                        // same version: cached copy
        let fresh = try run(8)
        #expect(scaledMaxDiff(fresh, first.map { -$0 }) < 1e-6)
        #expect(scaledMaxDiff(try run(0), fresh) < 1e-6)    // version 0 always reorders
    }

    @Test("invalid geometry is refused with a clear error")
    func invalidGeometry() {
        let g = ConvGeometry(batch: 1, inH: 4, inW: 4, inC: 3, outC: 4, kernelH: 3, kernelW: 3, groups: 2)
        #expect(throws: EngineError.self) { try DNNLConvolution(g, hasBias: false) }
    }
}

@Suite("CAS same padding")
struct SamePaddingTests {
    struct Case: Sendable { let input, kernel, stride, dilation, before, after: Int }

    @Test("amounts and output size", arguments: [
        Case(input: 5, kernel: 3, stride: 1, dilation: 1, before: 1, after: 1),
        Case(input: 6, kernel: 3, stride: 2, dilation: 1, before: 0, after: 1),   // odd total: extra on bottom/right
        Case(input: 7, kernel: 3, stride: 2, dilation: 1, before: 1, after: 1),
        Case(input: 224, kernel: 7, stride: 2, dilation: 1, before: 2, after: 3),
        Case(input: 5, kernel: 2, stride: 1, dilation: 1, before: 0, after: 1),
        Case(input: 8, kernel: 3, stride: 1, dilation: 2, before: 2, after: 2),
        Case(input: 4, kernel: 1, stride: 2, dilation: 1, before: 0, after: 0),
        Case(input: 3, kernel: 5, stride: 3, dilation: 1, before: 1, after: 1),
    ])
    func amounts(_ c: Case) {
        let p = Padding.sameAmounts(input: c.input, kernel: c.kernel, stride: c.stride, dilation: c.dilation)
        #expect(p.before == c.before && p.after == c.after)
        // CAS pooling: the same total, all of it after
        let a = Padding.sameAfter.amounts(inH: c.input, inW: c.input, kernelH: c.kernel, kernelW: c.kernel,
                                          strideH: c.stride, strideW: c.stride, dilationH: c.dilation, dilationW: c.dilation)
        #expect(a.top == 0 && a.left == 0 && a.bottom == c.before + c.after && a.right == c.before + c.after)
        let g = ConvGeometry(batch: 1, inH: c.input, inW: c.input, inC: 1, outC: 1, kernelH: c.kernel, kernelW: c.kernel,
                             strideH: c.stride, strideW: c.stride, dilationH: c.dilation, dilationW: c.dilation)
        #expect(g.outH == (c.input + c.stride - 1) / c.stride)
    }
}

/// CAS pools with all padding at the bottom/right: a 3x3 stride-2 max pool over 5x5 covers rows
/// [2i, 2i+2], so a lone maximum at (2, 2) reaches outputs (0|1, 0|1); split padding covers
/// [2i-1, 2i+1] and reaches only (1, 1).
@Test func casPoolingPadsAtTheBottomRight() throws {
    func pooled(_ padding: Padding) throws -> [Float] {
        let m = try Model(layers: [InputLayer(name: "x", shape: [5, 5, 1]),
                                   PoolingLayer(name: "p", source: "x", mode: .max, kernel: 3, stride: 2, padding: padding)], seed: 1)
        var v = [Float](repeating: -1, count: 25)
        v[2 * 5 + 2] = 1
        let y = try m.forward(Tensor(shape: [1, 5, 5, 1], values: v), training: false)
        #expect(y.shape == [1, 3, 3, 1])
        return (0..<y.count).map { y.base[$0] }
    }
    #expect(try pooled(.sameAfter) == [1, 1, -1, 1, 1, -1, -1, -1, -1])
    #expect(try pooled(.same) == [-1, -1, -1, -1, 1, -1, -1, -1, -1])
}

/// `backwardOverwriting` (what the benchmark times; Model's first-writer path) writes the same dx as
/// `backward` into a zeroed dx, whatever garbage dx held before — for a layer that overwrites
/// (convolution) and one that zeroes first (activation).
@Test func backwardOverwritingMatchesZeroThenAccumulate() throws {
    let layers: [(Layer, [Int])] = [
        (ConvolutionLayer(name: "c", source: "x", filters: 4, kernel: 3, stride: 2, bias: true), [2, 7, 7, 3]),
        (ActivationLayer(name: "a", source: "x", activation: .relu), [2, 5]),
    ]
    for (layer, shape) in layers {
        let m = try Model(layers: [InputLayer(name: "x", shape: Array(shape.dropFirst())), layer], seed: 3)
        let x = randomTensor(shape, seed: 1)
        let y = try m.forward(x, training: true)
        let dy1 = randomTensor(y.shape, seed: 2), dy2 = randomTensor(y.shape, seed: 2)
        let zeroed = try Tensor(shape: shape), garbage = randomTensor(shape, seed: 99)
        try layer.backward([x], y, dy1, [zeroed])
        try layer.backwardOverwriting([x], y, dy2, [garbage])
        #expect(garbage.array == zeroed.array, "\(layer.name)")
        #expect(zeroed.array.contains { $0 != 0 })
    }
}
