/// Stochastic gradient descent with PyTorch's semantics:
///   g = grad + weightDecay·w
///   v = momentum·v + g                (first step: v = g)
///   w -= rate · (nesterov ? g + momentum·v : v)
/// Only the slab ranges of unfrozen layers are touched.
public struct SGDOptions: Sendable, Equatable {
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double

    public init(momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }
}

/// SGD state (the momentum slab) for one model.
public final class SGD {
    public let options: SGDOptions
    private let velocity: Tensor   // same layout as Model.parameters

    public init(model: Model, options: SGDOptions) throws(EngineError) {
        self.options = options
        velocity = try Tensor(shape: [model.parameterCount], what: "momentum slab")
    }

    /// One update of every unfrozen parameter with `rate`.
    public func step(_ model: Model, rate: Double) {
        let w = model.parameters.base, g = model.gradients.base, v = velocity.base
        let lr = Float(rate), mu = Float(options.momentum), wd = Float(options.weightDecay)
        for range in model.trainableRanges {
            SGD.update(w + range.lowerBound, g + range.lowerBound, v + range.lowerBound, count: range.count,
                       rate: lr, momentum: mu, nesterov: options.nesterov, weightDecay: wd)
        }
        model.trainableParametersChanged()
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
