import Testing
@testable import DLEngine

/// The fused channel kernels (batch norm, residual sums, SGD) against their plain-loop references, on
/// channel counts that exercise the 16-wide, 8-wide and scalar paths, with every activation.
@Suite("Fused channel kernels: fast vs naive")
struct ChannelKernelTests {
    static let shapes: [(rows: Int, c: Int)] = [(1, 3), (7, 5), (70, 24), (130, 16), (3, 40), (66, 64)]
    static let cases: [(Int, Activation)] = shapes.indices.flatMap { s in allActivations.map { (s, $0) } }

    @Test("batch-norm statistics (shifted float blocks vs double two-pass)", arguments: shapes.indices)
    func statistics(_ s: Int) {
        let (rows, c) = Self.shapes[s]
        // Large mean, small spread: the case a plain E[x²] − E[x]² in float gets wrong.
        let x = randomArray(rows * c, seed: 11).enumerated().map { 1000 + Float($0.offset % c) + 0.01 * $0.element }
        var m1 = [Double](repeating: 0, count: c), v1 = m1, m2 = m1, v2 = m1
        x.withPointer { p in
            ChannelKernels.statistics(p, rows: rows, c: c, mean: &m1, variance: &v1)
            ChannelKernels.Naive.statistics(p, rows: rows, c: c, mean: &m2, variance: &v2)
        }
        for j in 0..<c {
            #expect(abs(m1[j] - m2[j]) < 1e-6 * 1000)
            #expect(abs(v1[j] - v2[j]) <= 1e-3 * max(v2[j], 1e-6), "channel \(j): variance \(v1[j]) vs \(v2[j])")
        }
    }

    @Test("scale, shift and activation in one pass", arguments: cases)
    func scaleShift(_ s: Int, _ act: Activation) {
        let (rows, c) = Self.shapes[s]
        let x = randomArray(rows * c, seed: 1).map { $0 * 4 }, scale = randomArray(c, seed: 2).map { $0 * 3 }, shift = randomArray(c, seed: 3)
        let fast = output(rows * c) { y in x.withPointer { xp in scale.withPointer { sp in shift.withPointer {
            ChannelKernels.scaleShift(xp, y, rows: rows, c: c, scale: sp, shift: $0, act: act) } } } }
        let naive = output(rows * c) { y in x.withPointer { xp in scale.withPointer { sp in shift.withPointer {
            ChannelKernels.Naive.scaleShift(xp, y, rows: rows, c: c, scale: sp, shift: $0, act: act) } } } }
        #expect(scaledMaxDiff(fast, naive) < 1e-6)
    }

    @Test("batch-norm gradient sums with the activation's derivative on the fly", arguments: cases)
    func gradientSums(_ s: Int, _ act: Activation) {
        let (rows, c) = Self.shapes[s]
        let x = randomArray(rows * c, seed: 4), y = randomArray(rows * c, seed: 5).map { act.value($0 * 8) }
        let dy = randomArray(rows * c, seed: 6), mean = randomArray(c, seed: 7)
        var a = [Double](repeating: 0, count: 2 * c), b = a
        x.withPointer { xp in y.withPointer { yp in dy.withPointer { gp in mean.withPointer { mp in
            a.withUnsafeMutableBufferPointer { ap in ChannelKernels.gradientSums(xp, yp, gp, rows: rows, c: c, mean: mp, act: act,
                                                                                   sumDz: ap.baseAddress!, sumDzX: ap.baseAddress! + c) }
            b.withUnsafeMutableBufferPointer { bp in ChannelKernels.Naive.gradientSums(xp, yp, gp, rows: rows, c: c, mean: mp, act: act,
                                                                                         sumDz: bp.baseAddress!, sumDzX: bp.baseAddress! + c) }
        } } } }
        let scale = max(1, b.map { abs($0) }.max() ?? 0)
        for i in 0..<(2 * c) { #expect(abs(a[i] - b[i]) / scale < 1e-5, "sum \(i): \(a[i]) vs \(b[i])") }
    }

    @Test("batch-norm input gradient, overwriting and accumulating", arguments: cases)
    func affineGradient(_ s: Int, _ act: Activation) {
        let (rows, c) = Self.shapes[s]
        let x = randomArray(rows * c, seed: 8), y = randomArray(rows * c, seed: 9).map { act.value($0 * 8) }, dy = randomArray(rows * c, seed: 10)
        let a = randomArray(c, seed: 12), b = randomArray(c, seed: 13), k = randomArray(c, seed: 14), prior = randomArray(rows * c, seed: 15)
        for overwrite in [true, false] {
            for withB in [true, false] {
                func run(_ naive: Bool) -> [Float] {
                    prior.withPointer { dx in
                        x.withPointer { xp in y.withPointer { yp in dy.withPointer { gp in a.withPointer { ap in b.withPointer { bp in k.withPointer { kp in
                            if naive {
                                ChannelKernels.Naive.affineGradient(xp, yp, gp, dx, rows: rows, c: c, a: ap, b: withB ? bp : nil, k: kp, act: act, overwrite: overwrite)
                            } else {
                                ChannelKernels.affineGradient(xp, yp, gp, dx, rows: rows, c: c, a: ap, b: withB ? bp : nil, k: kp, act: act, overwrite: overwrite)
                            }
                        } } } } } }
                        return Array(UnsafeBufferPointer(start: dx, count: rows * c))
                    }
                }
                #expect(scaledMaxDiff(run(false), run(true)) < 1e-6, "overwrite \(overwrite), b \(withB)")
            }
        }
    }

    @Test("residual sum with activation, and its gradient scattered to every source", arguments: [(2, 37), (2, 64), (3, 53), (1, 20)], allActivations)
    func residual(_ shape: (Int, Int), _ act: Activation) {
        let (sources, n) = shape
        let xs = (0..<sources).map { randomArray(n, seed: UInt64(20 + $0)).map { $0 * 5 } }
        let ptrs = xs.map { x -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(from: x, count: n); return p
        }
        defer { ptrs.forEach { $0.deallocate() } }
        let fast = output(n) { ChannelKernels.sum(ptrs.map { UnsafePointer($0) }, into: $0, count: n, act: act) }
        let naive = output(n) { ChannelKernels.Naive.sum(ptrs.map { UnsafePointer($0) }, into: $0, count: n, act: act) }
        #expect(scaledMaxDiff(fast, naive) < 1e-6)

        let dy = randomArray(n, seed: 30), overwrite = (0..<sources).map { $0 % 2 == 0 }
        func scatter(_ naive: Bool) -> [[Float]] {
            let dxs = (0..<sources).map { k -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(from: randomArray(n, seed: UInt64(40 + k)), count: n); return p
            }
            defer { dxs.forEach { $0.deallocate() } }
            fast.withPointer { yp in dy.withPointer { gp in
                if naive { ChannelKernels.Naive.scatterGradient(yp, gp, into: dxs, overwrite: overwrite, count: n, act: act) }
                else { ChannelKernels.scatterGradient(yp, gp, into: dxs, overwrite: overwrite, count: n, act: act) }
            } }
            return dxs.map { Array(UnsafeBufferPointer(start: $0, count: n)) }
        }
        for (a, b) in zip(scatter(false), scatter(true)) { #expect(scaledMaxDiff(a, b) < 1e-6) }
    }

    @Test("vectorised SGD update equals the element-wise PyTorch formulas", arguments: [(0.0, false, 0.0), (0.9, false, 0.0), (0.9, false, 1e-3), (0.9, true, 1e-3), (0.0, false, 1e-2)])
    func sgd(_ mu: Double, _ nesterov: Bool, _ wd: Double) {
        let n = 53
        let w = randomArray(n, seed: 1), g = randomArray(n, seed: 2), v = randomArray(n, seed: 3)
        func run(_ naive: Bool) -> ([Float], [Float]) {
            var w2 = w, v2 = v
            w2.withUnsafeMutableBufferPointer { wp in v2.withUnsafeMutableBufferPointer { vp in g.withPointer { gp in
                if naive {
                    SGD.Naive.update(wp.baseAddress!, gp, vp.baseAddress!, count: n, rate: 0.1, momentum: Float(mu), nesterov: nesterov, weightDecay: Float(wd))
                } else {
                    SGD.update(wp.baseAddress!, gp, vp.baseAddress!, count: n, rate: 0.1, momentum: Float(mu), nesterov: nesterov, weightDecay: Float(wd))
                }
            } } }
            return (w2, v2)
        }
        let (wf, vf) = run(false), (wn, vn) = run(true)
        #expect(wf == wn)
        #expect(vf == vn)
    }
}

/// Max pooling's 16-channel kernels against the reference loops, including ties (the first maximum in
/// window order receives the gradient) and padding.
@Suite("Max pooling: fast vs naive")
struct MaxPoolingKernelTests {
    static let cases: [(h: Int, c: Int, k: Int, s: Int, pad: Int)] = [(8, 16, 3, 2, 1), (7, 20, 2, 2, 0), (9, 35, 3, 1, 1), (5, 64, 3, 2, 1)]

    @Test("forward and backward", arguments: cases.indices)
    func maxPool(_ i: Int) {
        let (h, c, k, s, pad) = Self.cases[i]
        let g = ConvGeometry(batch: 2, inH: h, inW: h, inC: c, outC: c, kernelH: k, kernelW: k, strideH: s, strideW: s,
                             padding: .symmetric(height: pad, width: pad), groups: c)
        // Rounded values make ties common.
        let x = randomArray(g.inputCount, seed: 3).map { ($0 * 4).rounded() }, dy = randomArray(g.outputCount, seed: 4)
        let yFast = output(g.outputCount) { y in x.withPointer { PoolingLayer.maxForward(g, $0, y) } }
        let yNaive = output(g.outputCount) { y in x.withPointer { PoolingLayer.Naive.forward(g, mode: .max, $0, y) } }
        #expect(yFast == yNaive)
        let prior = randomArray(g.inputCount, seed: 5)
        let dFast = prior.withPointer { dx in
            x.withPointer { xp in yFast.withPointer { yp in dy.withPointer { PoolingLayer.maxBackward(g, xp, yp, $0, dx) } } }
            return Array(UnsafeBufferPointer(start: dx, count: g.inputCount))
        }
        let dNaive = prior.withPointer { dx in
            x.withPointer { xp in yFast.withPointer { yp in dy.withPointer { PoolingLayer.Naive.backward(g, mode: .max, xp, yp, $0, dx) } } }
            return Array(UnsafeBufferPointer(start: dx, count: g.inputCount))
        }
        #expect(dFast == dNaive)
    }
}
