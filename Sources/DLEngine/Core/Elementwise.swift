import Foundation

/// Vectorised element-wise kernels (SIMD16 main loop + scalar tail), single-threaded on purpose
/// (see `EngineThreads`). `Elementwise.Naive` holds the plain-loop reference of each; tests compare them.
public enum Elementwise {
    typealias V = SIMD16<Float>
    static let width = 16

    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
    }

    /// y[i] += x[i]
    public static func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + width <= n { store(load(y, i) + load(x, i), y, i); i += width }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// y[i] = a[i] + b[i]
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + width <= n { store(load(a, i) + load(b, i), y, i); i += width }
        while i < n { y[i] = a[i] + b[i]; i += 1 }
    }

    /// y[i] += alpha * x[i]
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        let a = V(repeating: alpha)
        var i = 0
        while i + width <= n { store(load(y, i) + a * load(x, i), y, i); i += width }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// Plain loops: the reference implementation for every kernel above and in `Activation`.
    public enum Naive {
        public static func accumulate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
            for i in 0..<n { y[i] += x[i] }
        }
        public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
            for i in 0..<n { y[i] = a[i] + b[i] }
        }
        public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
            for i in 0..<n { y[i] += alpha * x[i] }
        }
        public static func activate(_ act: Activation, _ p: UnsafeMutablePointer<Float>, count n: Int) {
            for i in 0..<n { p[i] = act.value(p[i]) }
        }
        public static func activationBackward(
            _ act: Activation, output y: UnsafePointer<Float>, outputGrad dy: UnsafePointer<Float>,
            into dz: UnsafeMutablePointer<Float>, count n: Int
        ) {
            for i in 0..<n { dz[i] = dy[i] * act.derivative(output: y[i]) }
        }
    }
}

/// Activation functions a layer can apply to its output (CAS `act=`).
///
/// Backward needs only the layer's *output* y: f'(z) is written in terms of y for every member,
/// so layers keep no pre-activation copy. At a kink (ReLU at 0) the derivative is taken as 0.
public enum Activation: Sendable, Equatable, Hashable {
    case identity
    case relu
    case relu6
    /// max(x, alpha·x); CAS's default slope is 0.1.
    case leakyReLU(alpha: Float)
    case sigmoid
    case tanh

    /// f(z) for one value.
    @inline(__always) public func value(_ z: Float) -> Float {
        switch self {
        case .identity: return z
        case .relu: return z > 0 ? z : 0
        case .relu6: return min(max(z, 0), 6)
        case .leakyReLU(let a): return z > 0 ? z : a * z
        case .sigmoid: return 1 / (1 + Foundation.exp(-z))
        case .tanh: return Foundation.tanh(z)
        }
    }

    /// f'(z) expressed through y = f(z).
    @inline(__always) public func derivative(output y: Float) -> Float {
        switch self {
        case .identity: return 1
        case .relu: return y > 0 ? 1 : 0
        case .relu6: return y > 0 && y < 6 ? 1 : 0
        case .leakyReLU(let a): return y > 0 ? 1 : a
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        }
    }

    /// p[i] = f(p[i]) (vectorised for the piecewise-linear members).
    public func apply(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        typealias V = Elementwise.V
        let w = Elementwise.width
        var i = 0
        switch self {
        case .identity: return
        case .relu:
            let zero = V(repeating: 0)
            // (pointwiseMax is a lane-by-lane loop in the standard library; masks compile to blends)
            while i + w <= n { let x = Elementwise.load(p, i); Elementwise.store(x.replacing(with: zero, where: .!(x .> zero)), p, i); i += w }
        case .relu6:
            let zero = V(repeating: 0), six = V(repeating: 6)
            while i + w <= n {
                let x = Elementwise.load(p, i), r = x.replacing(with: zero, where: .!(x .> zero))
                Elementwise.store(r.replacing(with: six, where: r .> six), p, i)
                i += w
            }
        case .leakyReLU(let a):
            let zero = V(repeating: 0), av = V(repeating: a)
            while i + w <= n {
                let x = Elementwise.load(p, i)
                Elementwise.store(x.replacing(with: av * x, where: x .<= zero), p, i)
                i += w
            }
        case .sigmoid, .tanh: break
        }
        while i < n { p[i] = value(p[i]); i += 1 }
    }

    /// dz[i] = dy[i] · f'(z[i]), computed from the output y (overwrites dz; dz may alias dy).
    public func backward(
        output y: UnsafePointer<Float>, outputGrad dy: UnsafePointer<Float>, into dz: UnsafeMutablePointer<Float>, count n: Int
    ) {
        typealias V = Elementwise.V
        let w = Elementwise.width
        var i = 0
        let zero = V(repeating: 0)
        switch self {
        case .identity:
            if UnsafePointer(dz) != dy { dz.update(from: dy, count: n) }
            return
        case .relu:
            while i + w <= n {
                let g = Elementwise.load(dy, i)
                Elementwise.store(g.replacing(with: zero, where: Elementwise.load(y, i) .<= zero), dz, i)
                i += w
            }
        case .relu6:
            let six = V(repeating: 6)
            while i + w <= n {
                let yv = Elementwise.load(y, i), g = Elementwise.load(dy, i)
                Elementwise.store(g.replacing(with: zero, where: (yv .<= zero) .| (yv .>= six)), dz, i)
                i += w
            }
        case .leakyReLU(let a):
            let av = V(repeating: a)
            while i + w <= n {
                let g = Elementwise.load(dy, i)
                Elementwise.store(g.replacing(with: av * g, where: Elementwise.load(y, i) .<= zero), dz, i)
                i += w
            }
        case .sigmoid:
            let one = V(repeating: 1)
            while i + w <= n {
                let yv = Elementwise.load(y, i)
                Elementwise.store(Elementwise.load(dy, i) * yv * (one - yv), dz, i)
                i += w
            }
        case .tanh:
            let one = V(repeating: 1)
            while i + w <= n {
                let yv = Elementwise.load(y, i)
                Elementwise.store(Elementwise.load(dy, i) * (one - yv * yv), dz, i)
                i += w
            }
        }
        while i < n { dz[i] = dy[i] * derivative(output: y[i]); i += 1 }
    }
}
