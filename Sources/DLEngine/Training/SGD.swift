import Foundation

/// Stochastic gradient descent with PyTorch's semantics:
///   g = grad + weightDecay·w
///   v = momentum·v + g                (first step: v = g)
///   w -= rate · (nesterov ? g + momentum·v : v)
/// or, with `adam`, torch.optim.Adam's (L2 weight decay in the gradient, not AdamW's), at step t = 1, 2, …:
///   m = β1·m + (1 − β1)·g,  s = β2·s + (1 − β2)·g²
///   w -= rate · (m / (1 − β1^t)) / (√(s / (1 − β2^t)) + ε)
/// Only the slab ranges of unfrozen layers are touched.
public struct SGDOptions: Sendable, Equatable {
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double
    /// Adam's settings; nil = SGD (with `momentum`).
    public var adam: AdamSettings?

    public init(momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0, adam: AdamSettings? = nil) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.adam = adam
    }

    /// Parameter-sized slabs the optimizer keeps (momentum; Adam's two moments).
    public var slabs: Int { adam == nil ? 1 : 2 }
}

/// Adam's decay rates of the first and second moment estimates, and the ε added to the root of the second.
public struct AdamSettings: Sendable, Equatable {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

/// Optimizer state for one model: the momentum slab (SGD) or the two moment slabs and the step count (Adam).
public final class SGD {
    public let options: SGDOptions
    private let velocity: Tensor   // same layout as Model.parameters (Adam: the first moment)
    private let squares: Tensor?   // Adam: the second moment
    /// Updates made so far (Adam's bias correction uses it).
    public private(set) var steps = 0

    public init(model: Model, options: SGDOptions) throws(EngineError) {
        self.options = options
        velocity = try Tensor(shape: [model.parameterCount], what: options.adam == nil ? "momentum slab" : "Adam first-moment slab")
        squares = options.adam == nil ? nil : try Tensor(shape: [model.parameterCount], what: "Adam second-moment slab")
    }

    /// One update of every unfrozen parameter with `rate`.
    public func step(_ model: Model, rate: Double) {
        steps += 1
        let w = model.parameters.base, g = model.gradients.base, v = velocity.base
        let lr = Float(rate), mu = Float(options.momentum), wd = Float(options.weightDecay)
        for range in model.trainableRanges {
            let o = range.lowerBound
            if let adam = options.adam, let s = squares?.base {
                // the bias corrections folded into the rate and ε (PyTorch's arithmetic, in Double)
                let c1 = 1 - Foundation.pow(adam.beta1, Double(steps)), c2 = 1 - Foundation.pow(adam.beta2, Double(steps))
                SGD.adamUpdate(w + o, g + o, v + o, s + o, count: range.count, rate: Float(rate / c1), beta1: Float(adam.beta1),
                               beta2: Float(adam.beta2), secondCorrection: Float(1 / c2.squareRoot()), epsilon: Float(adam.epsilon), weightDecay: wd)
            } else {
                SGD.update(w + o, g + o, v + o, count: range.count, rate: lr, momentum: mu, nesterov: options.nesterov, weightDecay: wd)
            }
        }
        model.trainableParametersChanged()
    }

    /// Adam's update of `count` parameters, vectorised: w -= rate · m / (√s · secondCorrection + ε), where `rate`
    /// already holds the first moment's bias correction and `secondCorrection` = 1/√(1 − β2^t).
    static func adamUpdate(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                           _ s: UnsafeMutablePointer<Float>, count n: Int, rate lr: Float, beta1 b1: Float, beta2 b2: Float,
                           secondCorrection k: Float, epsilon eps: Float, weightDecay wd: Float) {
        typealias V = SIMD16<Float>
        @inline(__always) func ld(_ p: UnsafePointer<Float>, _ i: Int) -> V { UnsafeRawPointer(p + i).loadUnaligned(as: V.self) }
        @inline(__always) func st(_ x: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) { UnsafeMutableRawPointer(p + i).storeBytes(of: x, as: V.self) }
        var i = 0
        while i + 16 <= n {
            let grad = ld(g, i) + wd * ld(w, i)
            let mi = b1 * ld(m, i) + (1 - b1) * grad, si = b2 * ld(s, i) + (1 - b2) * grad * grad
            st(mi, m, i); st(si, s, i)
            st(ld(w, i) - lr * mi / (si.squareRoot() * k + eps), w, i)
            i += 16
        }
        Naive.adamUpdate(w + i, g + i, m + i, s + i, count: n - i, rate: lr, beta1: b1, beta2: b2, secondCorrection: k, epsilon: eps, weightDecay: wd)
    }

    /// The update of `count` parameters, vectorised (one pass over w, g, v).
    static func update(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, count n: Int,
                       rate lr: Float, momentum mu: Float, nesterov: Bool, weightDecay wd: Float) {
        typealias V = SIMD16<Float>
        @inline(__always) func ld(_ p: UnsafePointer<Float>, _ i: Int) -> V { UnsafeRawPointer(p + i).loadUnaligned(as: V.self) }
        @inline(__always) func st(_ x: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) { UnsafeMutableRawPointer(p + i).storeBytes(of: x, as: V.self) }
        var i = 0
        if mu == 0 {
            while i + 16 <= n { st(ld(w, i) - lr * (ld(g, i) + wd * ld(w, i)), w, i); i += 16 }
        } else if nesterov {
            while i + 16 <= n {
                let grad = ld(g, i) + wd * ld(w, i), vel = mu * ld(v, i) + grad
                st(vel, v, i); st(ld(w, i) - lr * (grad + mu * vel), w, i); i += 16
            }
        } else {
            while i + 16 <= n {
                let grad = ld(g, i) + wd * ld(w, i), vel = mu * ld(v, i) + grad
                st(vel, v, i); st(ld(w, i) - lr * vel, w, i); i += 16
            }
        }
        Naive.update(w + i, g + i, v + i, count: n - i, rate: lr, momentum: mu, nesterov: nesterov, weightDecay: wd)
    }

    /// The reference: PyTorch's formulas element by element.
    enum Naive {
        static func update(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, count n: Int,
                           rate lr: Float, momentum mu: Float, nesterov: Bool, weightDecay wd: Float) {
            for i in 0..<n {
                let grad = g[i] + wd * w[i]
                if mu == 0 { w[i] -= lr * grad; continue }
                v[i] = mu * v[i] + grad
                w[i] -= lr * (nesterov ? grad + mu * v[i] : v[i])
            }
        }

        static func adamUpdate(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                               _ s: UnsafeMutablePointer<Float>, count n: Int, rate lr: Float, beta1 b1: Float, beta2 b2: Float,
                               secondCorrection k: Float, epsilon eps: Float, weightDecay wd: Float) {
            for i in 0..<n {
                let grad = g[i] + wd * w[i]
                m[i] = b1 * m[i] + (1 - b1) * grad
                s[i] = b2 * s[i] + (1 - b2) * grad * grad
                w[i] -= lr * m[i] / (s[i].squareRoot() * k + eps)
            }
        }
    }
}

extension Model {
    /// Slab ranges of the parameters of unfrozen layers.
    public var trainableRanges: [Range<Int>] {
        var ranges: [Range<Int>] = [], offset = 0
        for l in layers {
            let n = l.parameterCount
            if !l.isFrozen && n > 0 { ranges.append(offset..<(offset + n)) }
            offset += n
        }
        return ranges
    }
}
