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

    public init(model: Model, options: SGDOptions) {
        self.options = options
        velocity = Tensor(shape: [model.parameterCount])
    }

    /// One update of every unfrozen parameter with `rate`.
    public func step(_ model: Model, rate: Double) {
        let w = model.parameters.base, g = model.gradients.base, v = velocity.base
        let lr = Float(rate), mu = Float(options.momentum), wd = Float(options.weightDecay)
        for range in model.trainableRanges {
            for i in range {
                let grad = g[i] + wd * w[i]
                if mu == 0 { w[i] -= lr * grad; continue }
                v[i] = mu * v[i] + grad
                w[i] -= lr * (options.nesterov ? grad + mu * v[i] : v[i])
            }
        }
        model.parametersChanged()
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
