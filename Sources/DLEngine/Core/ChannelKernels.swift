/// Fused, vectorised kernels over NHWC rows (`rows` rows of `c` channels, channel fastest) for batch norm,
/// residual sums and activations: each does in one pass over memory what the plain version does in two
/// or three (the engine's element-wise work is memory-bound: on the 2-vCPU machine one core already
/// saturates the memory bandwidth, so fewer passes pay and more threads do not).
/// Every kernel has a plain-loop reference in `ChannelKernels.Naive`; ChannelKernelTests compares them.
enum ChannelKernels {
    typealias V = SIMD16<Float>
    typealias V8 = SIMD8<Float>

    // MARK: activation functors (specialised per activation inside the generic kernels)

    /// f and f' (from the output) of an activation on SIMD lanes.
    protocol Act {
        func value(_ z: V) -> V
        func value8(_ z: V8) -> V8
        func value1(_ z: Float) -> Float
        /// dL/dz from dL/dy and y = f(z).
        func grad(_ g: V, _ y: V) -> V
        func grad8(_ g: V8, _ y: V8) -> V8
        func grad1(_ g: Float, _ y: Float) -> Float
    }
    struct Identity: Act {
        @inline(__always) func value(_ z: V) -> V { z }
        @inline(__always) func value8(_ z: V8) -> V8 { z }
        @inline(__always) func value1(_ z: Float) -> Float { z }
        @inline(__always) func grad(_ g: V, _ y: V) -> V { g }
        @inline(__always) func grad8(_ g: V8, _ y: V8) -> V8 { g }
        @inline(__always) func grad1(_ g: Float, _ y: Float) -> Float { g }
    }
    struct ReLU: Act {
        // (pointwiseMax is a lane-by-lane loop in the standard library; masks compile to blends)
        @inline(__always) func value(_ z: V) -> V { z.replacing(with: 0, where: .!(z .> 0)) }
        @inline(__always) func value8(_ z: V8) -> V8 { z.replacing(with: 0, where: .!(z .> 0)) }
        @inline(__always) func value1(_ z: Float) -> Float { z > 0 ? z : 0 }
        @inline(__always) func grad(_ g: V, _ y: V) -> V { g.replacing(with: 0, where: y .<= 0) }
        @inline(__always) func grad8(_ g: V8, _ y: V8) -> V8 { g.replacing(with: 0, where: y .<= 0) }
        @inline(__always) func grad1(_ g: Float, _ y: Float) -> Float { y > 0 ? g : 0 }
    }
    struct ReLU6: Act {
        @inline(__always) func value(_ z: V) -> V { let r = z.replacing(with: 0, where: .!(z .> 0)); return r.replacing(with: 6, where: r .> 6) }
        @inline(__always) func value8(_ z: V8) -> V8 { let r = z.replacing(with: 0, where: .!(z .> 0)); return r.replacing(with: 6, where: r .> 6) }
        @inline(__always) func value1(_ z: Float) -> Float { min(max(z, 0), 6) }
        @inline(__always) func grad(_ g: V, _ y: V) -> V { g.replacing(with: 0, where: (y .<= 0) .| (y .>= 6)) }
        @inline(__always) func grad8(_ g: V8, _ y: V8) -> V8 { g.replacing(with: 0, where: (y .<= 0) .| (y .>= 6)) }
        @inline(__always) func grad1(_ g: Float, _ y: Float) -> Float { y > 0 && y < 6 ? g : 0 }
    }
    struct Leaky: Act {
        let a: Float
        @inline(__always) func value(_ z: V) -> V { z.replacing(with: a * z, where: z .<= 0) }
        @inline(__always) func value8(_ z: V8) -> V8 { z.replacing(with: a * z, where: z .<= 0) }
        @inline(__always) func value1(_ z: Float) -> Float { z > 0 ? z : a * z }
        @inline(__always) func grad(_ g: V, _ y: V) -> V { g.replacing(with: a * g, where: y .<= 0) }
        @inline(__always) func grad8(_ g: V8, _ y: V8) -> V8 { g.replacing(with: a * g, where: y .<= 0) }
        @inline(__always) func grad1(_ g: Float, _ y: Float) -> Float { y > 0 ? g : a * g }
    }
    /// Sigmoid and tanh: lane by lane through the scalar definitions.
    struct Lanes: Act {
        let act: Activation
        @inline(__always) func value(_ z: V) -> V { var o = z; for i in 0..<16 { o[i] = act.value(z[i]) }; return o }
        @inline(__always) func value8(_ z: V8) -> V8 { var o = z; for i in 0..<8 { o[i] = act.value(z[i]) }; return o }
        @inline(__always) func value1(_ z: Float) -> Float { act.value(z) }
        @inline(__always) func grad(_ g: V, _ y: V) -> V { var o = g; for i in 0..<16 { o[i] = g[i] * act.derivative(output: y[i]) }; return o }
        @inline(__always) func grad8(_ g: V8, _ y: V8) -> V8 { var o = g; for i in 0..<8 { o[i] = g[i] * act.derivative(output: y[i]) }; return o }
        @inline(__always) func grad1(_ g: Float, _ y: Float) -> Float { g * act.derivative(output: y) }
    }

    @inline(__always) static func ld(_ p: UnsafePointer<Float>, _ i: Int) -> V { UnsafeRawPointer(p + i).loadUnaligned(as: V.self) }
    @inline(__always) static func ld8(_ p: UnsafePointer<Float>, _ i: Int) -> V8 { UnsafeRawPointer(p + i).loadUnaligned(as: V8.self) }
    @inline(__always) static func st(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self) }
    @inline(__always) static func st8(_ v: V8, _ p: UnsafeMutablePointer<Float>, _ i: Int) { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V8.self) }

    // MARK: batch norm

    /// Per-channel mean and biased variance of x [rows, c], in double precision at the end: rows are
    /// summed in float blocks of 64 after subtracting the first row (shifted data, so E[x²] − E[x]²
    /// does not cancel), then the block sums are added in double.
    static func statistics(_ x: UnsafePointer<Float>, rows: Int, c: Int, mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>) {
        let s1 = UnsafeMutablePointer<Double>.allocate(capacity: c), s2 = UnsafeMutablePointer<Double>.allocate(capacity: c)
        let b1 = UnsafeMutablePointer<Float>.allocate(capacity: c), b2 = UnsafeMutablePointer<Float>.allocate(capacity: c)
        defer { s1.deallocate(); s2.deallocate(); b1.deallocate(); b2.deallocate() }
        s1.initialize(repeating: 0, count: c); s2.initialize(repeating: 0, count: c)
        let k = x   // the shift: row 0
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + 64)
            b1.update(repeating: 0, count: c); b2.update(repeating: 0, count: c)
            for r in r0..<r1 {
                let row = x + r * c
                var j = 0
                while j + 16 <= c {
                    let d = ld(row, j) - ld(k, j)
                    st(ld(b1, j) + d, b1, j); st(ld(b2, j) + d * d, b2, j); j += 16
                }
                while j < c { let d = row[j] - k[j]; b1[j] += d; b2[j] += d * d; j += 1 }
            }
            for j in 0..<c { s1[j] += Double(b1[j]); s2[j] += Double(b2[j]) }
            r0 = r1
        }
        let m = Double(rows)
        for j in 0..<c {
            let d = s1[j] / m
            mean[j] = Double(k[j]) + d
            variance[j] = max(s2[j] / m - d * d, 0)
        }
    }

    /// y = f(x·scale[ch] + shift[ch]).
    static func scaleShift(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, c: Int,
                           scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, act: Activation) {
        switch act {
        case .identity: scaleShift(x, y, rows, c, scale, shift, Identity())
        case .relu: scaleShift(x, y, rows, c, scale, shift, ReLU())
        case .relu6: scaleShift(x, y, rows, c, scale, shift, ReLU6())
        case .leakyReLU(let a): scaleShift(x, y, rows, c, scale, shift, Leaky(a: a))
        case .sigmoid, .tanh: scaleShift(x, y, rows, c, scale, shift, Lanes(act: act))
        }
    }

    @inline(__always) static func scaleShift<A: Act>(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ rows: Int, _ c: Int,
                                                    _ scale: UnsafePointer<Float>, _ shift: UnsafePointer<Float>, _ f: A) {
        for r in 0..<rows {
            let xr = x + r * c, yr = y + r * c
            var j = 0
            while j + 16 <= c { st(f.value(ld(xr, j) * ld(scale, j) + ld(shift, j)), yr, j); j += 16 }
            if j + 8 <= c { st8(f.value8(ld8(xr, j) * ld8(scale, j) + ld8(shift, j)), yr, j); j += 8 }
            while j < c { yr[j] = f.value1(xr[j] * scale[j] + shift[j]); j += 1 }
        }
    }

    /// With dz = dy·f'(y): sumDz[ch] = Σ dz, sumDzX[ch] = Σ dz·(x − mean[ch]) (float blocks of 64 rows, double totals).
    static func gradientSums(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, c: Int,
                             mean: UnsafePointer<Float>, act: Activation, sumDz: UnsafeMutablePointer<Double>, sumDzX: UnsafeMutablePointer<Double>) {
        switch act {
        case .identity: gradientSums(x, y, dy, rows, c, mean, Identity(), sumDz, sumDzX)
        case .relu: gradientSums(x, y, dy, rows, c, mean, ReLU(), sumDz, sumDzX)
        case .relu6: gradientSums(x, y, dy, rows, c, mean, ReLU6(), sumDz, sumDzX)
        case .leakyReLU(let a): gradientSums(x, y, dy, rows, c, mean, Leaky(a: a), sumDz, sumDzX)
        case .sigmoid, .tanh: gradientSums(x, y, dy, rows, c, mean, Lanes(act: act), sumDz, sumDzX)
        }
    }

    @inline(__always) static func gradientSums<A: Act>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                                      _ rows: Int, _ c: Int, _ mean: UnsafePointer<Float>, _ f: A,
                                                      _ sumDz: UnsafeMutablePointer<Double>, _ sumDzX: UnsafeMutablePointer<Double>) {
        let b1 = UnsafeMutablePointer<Float>.allocate(capacity: c), b2 = UnsafeMutablePointer<Float>.allocate(capacity: c)
        defer { b1.deallocate(); b2.deallocate() }
        sumDz.update(repeating: 0, count: c); sumDzX.update(repeating: 0, count: c)
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + 64)
            b1.update(repeating: 0, count: c); b2.update(repeating: 0, count: c)
            for r in r0..<r1 {
                let o = r * c, xr = x + o, yr = y + o, gr = dy + o
                var j = 0
                while j + 16 <= c {
                    let dz = f.grad(ld(gr, j), ld(yr, j))
                    st(ld(b1, j) + dz, b1, j); st(ld(b2, j) + dz * (ld(xr, j) - ld(mean, j)), b2, j); j += 16
                }
                while j < c { let dz = f.grad1(gr[j], yr[j]); b1[j] += dz; b2[j] += dz * (xr[j] - mean[j]); j += 1 }
            }
            for j in 0..<c { sumDz[j] += Double(b1[j]); sumDzX[j] += Double(b2[j]) }
            r0 = r1
        }
    }

    /// dx (= or +=) a[ch]·dz + b[ch]·x + k[ch] with dz = dy·f'(y); `b` nil means 0 (and `k` is ignored).
    static func affineGradient(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                               rows: Int, c: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>?, k: UnsafePointer<Float>,
                               act: Activation, overwrite: Bool) {
        switch act {
        case .identity: affineGradient(x, y, dy, dx, rows, c, a, b, k, Identity(), overwrite)
        case .relu: affineGradient(x, y, dy, dx, rows, c, a, b, k, ReLU(), overwrite)
        case .relu6: affineGradient(x, y, dy, dx, rows, c, a, b, k, ReLU6(), overwrite)
        case .leakyReLU(let s): affineGradient(x, y, dy, dx, rows, c, a, b, k, Leaky(a: s), overwrite)
        case .sigmoid, .tanh: affineGradient(x, y, dy, dx, rows, c, a, b, k, Lanes(act: act), overwrite)
        }
    }

    @inline(__always) static func affineGradient<A: Act>(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                                        _ dx: UnsafeMutablePointer<Float>, _ rows: Int, _ c: Int, _ a: UnsafePointer<Float>,
                                                        _ b: UnsafePointer<Float>?, _ k: UnsafePointer<Float>, _ f: A, _ overwrite: Bool) {
        let zeros = UnsafeMutablePointer<Float>.allocate(capacity: c)
        defer { zeros.deallocate() }
        zeros.initialize(repeating: 0, count: c)
        let bb = b ?? UnsafePointer(zeros), kk = b == nil ? UnsafePointer(zeros) : k
        for r in 0..<rows {
            let o = r * c, xr = x + o, yr = y + o, gr = dy + o, dr = dx + o
            var j = 0
            while j + 16 <= c {
                let v = ld(a, j) * f.grad(ld(gr, j), ld(yr, j)) + ld(bb, j) * ld(xr, j) + ld(kk, j)
                st(overwrite ? v : ld(dr, j) + v, dr, j); j += 16
            }
            while j < c {
                let v = a[j] * f.grad1(gr[j], yr[j]) + bb[j] * xr[j] + kk[j]
                dr[j] = overwrite ? v : dr[j] + v; j += 1
            }
        }
    }

    // MARK: residual sums

    /// y = f(Σ xs[i]) over `n` floats.
    static func sum(_ xs: [UnsafePointer<Float>], into y: UnsafeMutablePointer<Float>, count n: Int, act: Activation) {
        switch act {
        case .identity: sum(xs, y, n, Identity())
        case .relu: sum(xs, y, n, ReLU())
        case .relu6: sum(xs, y, n, ReLU6())
        case .leakyReLU(let a): sum(xs, y, n, Leaky(a: a))
        case .sigmoid, .tanh: sum(xs, y, n, Lanes(act: act))
        }
    }

    @inline(__always) static func sum<A: Act>(_ xs: [UnsafePointer<Float>], _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: A) {
        guard let first = xs.first else { return }
        if xs.count == 2 {
            let a = first, b = xs[1]
            var i = 0
            while i + 16 <= n { st(f.value(ld(a, i) + ld(b, i)), y, i); i += 16 }
            while i < n { y[i] = f.value1(a[i] + b[i]); i += 1 }
            return
        }
        y.update(from: first, count: n)
        for x in xs.dropFirst() { Elementwise.accumulate(x, into: y, count: n) }
        var i = 0
        while i + 16 <= n { st(f.value(ld(y, i)), y, i); i += 16 }
        while i < n { y[i] = f.value1(y[i]); i += 1 }
    }

    /// dz = dy·f'(y); every dxs[i] = dz (where overwrite[i]) or += dz. One pass.
    static func scatterGradient(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dxs: [UnsafeMutablePointer<Float>],
                                overwrite: [Bool], count n: Int, act: Activation) {
        switch act {
        case .identity: scatter(y, dy, dxs, overwrite, n, Identity())
        case .relu: scatter(y, dy, dxs, overwrite, n, ReLU())
        case .relu6: scatter(y, dy, dxs, overwrite, n, ReLU6())
        case .leakyReLU(let a): scatter(y, dy, dxs, overwrite, n, Leaky(a: a))
        case .sigmoid, .tanh: scatter(y, dy, dxs, overwrite, n, Lanes(act: act))
        }
    }

    @inline(__always) static func scatter<A: Act>(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dxs: [UnsafeMutablePointer<Float>],
                                                  _ overwrite: [Bool], _ n: Int, _ f: A) {
        dxs.withUnsafeBufferPointer { d in
            overwrite.withUnsafeBufferPointer { o in
                var i = 0
                while i + 16 <= n {
                    let dz = f.grad(ld(dy, i), ld(y, i))
                    for k in 0..<d.count { st(o[k] ? dz : ld(d[k], i) + dz, d[k], i) }
                    i += 16
                }
                while i < n {
                    let dz = f.grad1(dy[i], y[i])
                    for k in 0..<d.count { d[k][i] = o[k] ? dz : d[k][i] + dz }
                    i += 1
                }
            }
        }
    }

    // MARK: references

    /// Plain loops with the textbook formulas (double accumulation where the fast kernels sum).
    enum Naive {
        static func statistics(_ x: UnsafePointer<Float>, rows: Int, c: Int, mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>) {
            for j in 0..<c {
                var s = 0.0
                for r in 0..<rows { s += Double(x[r * c + j]) }
                let m = s / Double(rows)
                var v = 0.0
                for r in 0..<rows { let d = Double(x[r * c + j]) - m; v += d * d }
                mean[j] = m
                variance[j] = v / Double(rows)
            }
        }

        static func scaleShift(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, c: Int,
                               scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, act: Activation) {
            for r in 0..<rows { for j in 0..<c { y[r * c + j] = act.value(x[r * c + j] * scale[j] + shift[j]) } }
        }

        static func gradientSums(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, c: Int,
                                 mean: UnsafePointer<Float>, act: Activation, sumDz: UnsafeMutablePointer<Double>, sumDzX: UnsafeMutablePointer<Double>) {
            for j in 0..<c {
                var s = 0.0, sx = 0.0
                for r in 0..<rows {
                    let i = r * c + j, dz = Double(dy[i] * act.derivative(output: y[i]))
                    s += dz
                    sx += dz * Double(x[i] - mean[j])
                }
                sumDz[j] = s
                sumDzX[j] = sx
            }
        }

        static func affineGradient(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                   rows: Int, c: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>?, k: UnsafePointer<Float>,
                                   act: Activation, overwrite: Bool) {
            for r in 0..<rows {
                for j in 0..<c {
                    let i = r * c + j
                    var v = a[j] * dy[i] * act.derivative(output: y[i])
                    if let b { v += b[j] * x[i] + k[j] }
                    dx[i] = overwrite ? v : dx[i] + v
                }
            }
        }

        static func sum(_ xs: [UnsafePointer<Float>], into y: UnsafeMutablePointer<Float>, count n: Int, act: Activation) {
            for i in 0..<n { y[i] = act.value(xs.reduce(Float(0)) { $0 + $1[i] }) }
        }

        static func scatterGradient(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dxs: [UnsafeMutablePointer<Float>],
                                    overwrite: [Bool], count n: Int, act: Activation) {
            for i in 0..<n {
                let dz = dy[i] * act.derivative(output: y[i])
                for (k, d) in dxs.enumerated() { d[i] = overwrite[k] ? dz : d[i] + dz }
            }
        }
    }
}
