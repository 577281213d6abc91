/// Max or average pooling over H×W windows, per channel.
///   x [N, IH, IW, C]  ->  y [N, OH, OW, C]
/// Average pooling divides by the number of window taps inside the input (padding excluded, like
/// PyTorch's count_include_pad=False). Max pooling routes the gradient to the first maximum.
public final class PoolingLayer: Layer {
    public enum Mode: Sendable { case max, average }
    public let mode: Mode
    public let kernelH: Int, kernelW: Int, strideH: Int, strideW: Int
    public let padding: Padding

    public init(name: String, source: String, mode: Mode, kernel: Int, kernelW: Int? = nil, stride: Int? = nil,
                padding: Padding = .same) {
        self.mode = mode
        kernelH = kernel; self.kernelW = kernelW ?? kernel
        strideH = stride ?? kernel; strideW = stride ?? self.kernelW
        self.padding = padding
        super.init(name: name, sources: [source])
    }

    public override var kind: String { mode == .max ? "max pooling" : "average pooling" }

    /// Window geometry (a depthwise "convolution" with one channel per group).
    func geometry(batch n: Int) -> ConvGeometry {
        let s = inputShapes[0]
        return ConvGeometry(batch: n, inH: s[0], inW: s[1], inC: s[2], outC: s[2], kernelH: kernelH, kernelW: kernelW,
                            strideH: strideH, strideW: strideW, padding: padding, groups: s[2])
    }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        let (h, w, c) = try expectImage(inputs[0])
        let sizes = [("kernel height", kernelH), ("kernel width", kernelW), ("stride", strideH), ("stride width", strideW)]
        if let problem = ConvGeometry.parameterProblem(inputs: [h, w, c], sizes: sizes, padding: padding) {
            throw error(.shapeMismatch, "\(problem) (input \(inputs[0]))")
        }
        let g = ConvGeometry(batch: 1, inH: h, inW: w, inC: c, outC: c, kernelH: kernelH, kernelW: kernelW,
                             strideH: strideH, strideW: strideW, padding: padding, groups: c)
        if let problem = g.problem { throw error(.shapeMismatch, "\(problem) (input \(inputs[0]))") }
        return [g.outH, g.outW, c]
    }

    /// Calls body(outIndex, inPixelIndices) for each output pixel; channels are handled by the caller.
    static func windows(_ g: ConvGeometry, _ body: (Int, [Int]) -> Void) {
        var taps: [Int] = []
        taps.reserveCapacity(g.kernelH * g.kernelW)
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW {
            taps.removeAll(keepingCapacity: true)
            for kh in 0..<g.kernelH { for kw in 0..<g.kernelW {
                if let (ih, iw) = ConvReference.tap(g, oh, ow, kh, kw) { taps.append((n * g.inH + ih) * g.inW + iw) }
            } }
            body((n * g.outH + oh) * g.outW + ow, taps)
        } } }
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let g = geometry(batch: x[0].batch)
        switch mode {
        case .max: PoolingLayer.maxForward(g, x[0].pointer, y.pointer)
        case .average: PoolingLayer.Naive.forward(g, mode: mode, x[0].pointer, y.pointer)
        }
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let dxT = dx[0] else { return }
        let g = geometry(batch: x[0].batch)
        switch mode {
        case .max: PoolingLayer.maxBackward(g, x[0].pointer, y.pointer, dy.pointer, dxT.pointer)
        case .average: PoolingLayer.Naive.backward(g, mode: mode, x[0].pointer, y.pointer, dy.pointer, dxT.pointer)
        }
    }

    typealias V = SIMD16<Float>
    @inline(__always) static func ld(_ p: UnsafePointer<Float>, _ i: Int) -> V { UnsafeRawPointer(p + i).loadUnaligned(as: V.self) }
    @inline(__always) static func st(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self) }

    /// Max pooling, 16 channels at a time: y = max over the window's taps.
    static func maxForward(_ g: ConvGeometry, _ xp: UnsafePointer<Float>, _ yp: UnsafeMutablePointer<Float>) {
        let c = g.inC
        windows(g) { o, taps in
            let out = yp + o * c
            var j = 0
            while j + 16 <= c {
                var m = V(repeating: -.infinity)
                for t in taps { let v = ld(xp + t * c, j); m.replace(with: v, where: v .> m) }
                st(m, out, j)
                j += 16
            }
            while j < c {
                var m = -Float.infinity
                for t in taps where xp[t * c + j] > m { m = xp[t * c + j] }
                out[j] = m
                j += 1
            }
        }
    }

    /// Max pooling backward, 16 channels at a time: each output's gradient goes to the first tap (in
    /// window order) that holds the maximum.
    static func maxBackward(_ g: ConvGeometry, _ xp: UnsafePointer<Float>, _ yp: UnsafePointer<Float>, _ dyp: UnsafePointer<Float>,
                            _ dxp: UnsafeMutablePointer<Float>) {
        let c = g.inC
        windows(g) { o, taps in
            var j = 0
            while j + 16 <= c {
                let m = ld(yp + o * c, j), grad = ld(dyp + o * c, j)
                var pending = SIMDMask<SIMD16<Int32>>(repeating: true)
                for t in taps {
                    let hit = (ld(xp + t * c, j) .== m) .& pending
                    if any(hit) {
                        st(ld(dxp + t * c, j) + grad.replacing(with: 0, where: .!hit), dxp + t * c, j)
                        pending = pending .& .!hit
                        if !any(pending) { break }
                    }
                }
                j += 16
            }
            while j < c {
                let m = yp[o * c + j]
                if let t = taps.first(where: { xp[$0 * c + j] == m }) { dxp[t * c + j] += dyp[o * c + j] }
                j += 1
            }
        }
    }

    /// The reference loops (and the average-pooling path).
    enum Naive {
        static func forward(_ g: ConvGeometry, mode: Mode, _ xp: UnsafePointer<Float>, _ yp: UnsafeMutablePointer<Float>) {
            let c = g.inC
            windows(g) { o, taps in
                let out = yp + o * c
                switch mode {
                case .max:
                    out.update(repeating: -.infinity, count: c)
                    for t in taps { let row = xp + t * c; for j in 0..<c where row[j] > out[j] { out[j] = row[j] } }
                case .average:
                    out.update(repeating: 0, count: c)
                    for t in taps { Elementwise.accumulate(xp + t * c, into: out, count: c) }
                    let s = 1 / Float(max(taps.count, 1))
                    for j in 0..<c { out[j] *= s }
                }
            }
        }

        static func backward(_ g: ConvGeometry, mode: Mode, _ xp: UnsafePointer<Float>, _ yp: UnsafePointer<Float>, _ dyp: UnsafePointer<Float>,
                             _ dxp: UnsafeMutablePointer<Float>) {
            let c = g.inC
            windows(g) { o, taps in
                switch mode {
                case .max:
                    for j in 0..<c {
                        let m = yp[o * c + j]
                        if let t = taps.first(where: { xp[$0 * c + j] == m }) { dxp[t * c + j] += dyp[o * c + j] }
                    }
                case .average:
                    let s = 1 / Float(max(taps.count, 1))
                    for t in taps { Elementwise.axpy(s, dyp + o * c, into: dxp + t * c, count: c) }
                }
            }
        }
    }
}

/// Global average pooling: x [N, H, W, C] -> y [N, 1, 1, C].
public final class GlobalAveragePoolingLayer: Layer {
    public init(name: String, source: String) { super.init(name: name, sources: [source]) }

    public override var kind: String { "global average pooling" }

    override func inferShape(_ inputs: [[Int]]) throws -> [Int] {
        try expectInputs(inputs, 1)
        let (_, _, c) = try expectImage(inputs[0])
        return [1, 1, c]
    }

    public override func forward(_ x: [Tensor], _ y: Tensor, _ ctx: ForwardContext) throws {
        let c = outputShape[2], hw = inputShapes[0][0] * inputShapes[0][1], s = 1 / Float(hw)
        for n in 0..<x[0].batch {
            let out = y.pointer + n * c, xn = x[0].pointer + n * hw * c
            var acc = [Double](repeating: 0, count: c)
            for p in 0..<hw { for j in 0..<c { acc[j] += Double(xn[p * c + j]) } }
            for j in 0..<c { out[j] = Float(acc[j]) * s }
        }
    }

    public override func backward(_ x: [Tensor], _ y: Tensor, _ dy: Tensor, _ dx: [Tensor?]) throws {
        guard let dxT = dx[0] else { return }
        let c = outputShape[2], hw = inputShapes[0][0] * inputShapes[0][1], s = 1 / Float(hw)
        for n in 0..<x[0].batch {
            let d = dy.pointer + n * c, dxn = dxT.pointer + n * hw * c
            for p in 0..<hw { Elementwise.axpy(s, d, into: dxn + p * c, count: c) }
        }
    }
}
