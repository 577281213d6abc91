import CASCore
import CASWire
import DLEngine

/// dlTrain's `optimizer.algorithm`: the SGD variant and the learning-rate policy (CAS names, plus
/// the ones DLPy always sends), and the reading of the policy.
enum Algorithm: ParamGroup {
    static let method = P.string("method", "VANILLA (plain SGD), MOMENTUM or ADAM (PyTorch's Adam: beta1, beta2, ε 1e-8; L2 weightDecay in the gradient).",
                                 default: "VANILLA", allowed: ["VANILLA", "MOMENTUM", "ADAM"])
    static let learningRate = P.double("learningRate", "Base learning rate.", default: 0.001, min: 0)
    static let momentum = P.double("momentum", "Momentum (method=MOMENTUM).", default: 0.9, min: 0, max: 1)
    static let beta1 = P.double("beta1", "ADAM: decay of the first-moment (mean) estimate.", default: 0.9, min: 0, max: 0.999999)
    static let beta2 = P.double("beta2", "ADAM: decay of the second-moment (uncentred variance) estimate.", default: 0.999, min: 0, max: 0.999999)
    static let weightDecay = P.double("weightDecay", "L2 weight decay (PyTorch style, on every trainable tensor); regL2 is used when 0.",
                                      default: 0, min: 0)
    static let learningRatePolicy = P.string(
        "learningRatePolicy",
        "FIXED, STEP (gamma every stepSize epochs), MULTISTEP (steps), POLY (power), CYCLIC (to maxLearningRate and back, stepSize iterations per half cycle), REDUCEONPLATEAU (gamma after patience epochs without improvement).",
        default: "FIXED", allowed: ["FIXED", "STEP", "MULTISTEP", "POLY", "CYCLIC", "REDUCEONPLATEAU"]).aliases("lrPolicy")
    static let gamma = P.double("gamma", "Rate factor for STEP, MULTISTEP and REDUCEONPLATEAU.", default: 0.1, min: 0)
    static let stepSize = P.int("stepSize", "STEP: epochs between decays; CYCLIC: iterations (mini-batches) per half cycle.", default: 10, min: 1, max: Int(Int32.max))
    static let steps = P.intList("steps", "MULTISTEP: the epochs at which the rate is multiplied by gamma.", min: 0, max: 1_000_000)
    static let power = P.double("power", "POLY: exponent.", default: 0.75, min: 0)
    static let maxLearningRate = P.optionalDouble("maxLearningRate", "CYCLIC: the top of the cycle.", min: 0)
    static let patience = P.int("patience", "REDUCEONPLATEAU: epochs without improvement before the rate drops.", default: 10, min: 0, max: 1_000_000)
    static let useLocking = P.bool("useLocking", "Accepted for DLPy; ignored.", default: true)
    static let fcmpLearningRate = P.optionalString(
        "fcmpLearningRate",
        "FCMP function (fcmpact.addRoutines, found through sessionProp.setSessOpt cmplib=) giving the rate per mini-batch from rate, iterNum, batch and initRate; replaces learningRatePolicy.")
    static let clipGradMax = P.double("clipGradMax", "Accepted; ignored.", default: 0)
    static let clipGradMin = P.double("clipGradMin", "Accepted; ignored.", default: 0)
    static let parameters = [method.spec, learningRate.spec, momentum.spec, beta1.spec, beta2.spec, weightDecay.spec, learningRatePolicy.spec, gamma.spec,
                             stepSize.spec, steps.spec, power.spec, maxLearningRate.spec, patience.spec, useLocking.spec,
                             fcmpLearningRate.spec, clipGradMax.spec, clipGradMin.spec]

    /// The optimizer `a` names: SGD (VANILLA, MOMENTUM) or Adam.
    static func sgd(_ a: Args, weightDecay: Double) -> SGDOptions {
        switch a[method] {
        case "ADAM": SGDOptions(weightDecay: weightDecay, adam: AdamSettings(beta1: a[beta1], beta2: a[beta2]))
        case "MOMENTUM": SGDOptions(momentum: a[momentum], weightDecay: weightDecay)
        default: SGDOptions(weightDecay: weightDecay)
        }
    }

    /// The learning-rate policy of `a` over `iterations` mini-batches starting at `rate`.
    static func policy(_ a: Args, iterations: Int, rate: Double) throws(ActionError) -> LearningRatePolicy {
        switch a[learningRatePolicy] {
        case "STEP": return .step(size: a[stepSize], gamma: a[gamma])
        case "MULTISTEP": return .multiStep(milestones: a[steps], gamma: a[gamma])
        case "POLY": return .poly(power: a[power], maxIterations: max(1, iterations))
        case "CYCLIC":
            guard let top = a[maxLearningRate], top > rate else {
                throw ActionError(.parameterValue, "learningRatePolicy=CYCLIC needs maxLearningRate above learningRate (\(rate)).",
                                  parameter: "optimizer.algorithm.maxLearningRate")
            }
            return .cyclic(maxRate: top, stepSize: a[stepSize], mode: .triangular)
        case "REDUCEONPLATEAU": return .reduceOnPlateau(factor: a[gamma], patience: a[patience])
        default: return .fixed
        }
    }
}
