import CASCore
import CASWire
import DLEngine

/// dlTrain's `optimizer` parameter (CAS names, plus the ones DLPy always sends) and its reading.
enum OptimizerParams {
    static let algorithm: [ParamSpec] = [
        P.string("method", "VANILLA (plain SGD) or MOMENTUM.", default: "VANILLA", allowed: ["VANILLA", "MOMENTUM"]).spec,
        P.double("learningRate", "Base learning rate.", default: 0.001, min: 0).spec,
        P.double("momentum", "Momentum (method=MOMENTUM).", default: 0.9, min: 0, max: 1).spec,
        P.double("weightDecay", "L2 weight decay (PyTorch style, on every trainable tensor); regL2 is used when 0.", default: 0, min: 0).spec,
        P.string("learningRatePolicy", "FIXED, STEP (gamma every stepSize epochs), MULTISTEP (steps), POLY (power), CYCLIC (to maxLearningRate and back, stepSize iterations per half cycle), REDUCEONPLATEAU (gamma after patience epochs without improvement).",
                 default: "FIXED", allowed: ["FIXED", "STEP", "MULTISTEP", "POLY", "CYCLIC", "REDUCEONPLATEAU"]).aliases("lrPolicy").spec,
        P.double("gamma", "Rate factor for STEP, MULTISTEP and REDUCEONPLATEAU.", default: 0.1, min: 0).spec,
        P.int("stepSize", "STEP: epochs between decays; CYCLIC: iterations (mini-batches) per half cycle.", default: 10, min: 1).spec,
        P.value("steps", "MULTISTEP: the epochs at which the rate is multiplied by gamma.").with { $0.type = .list(.int) }.spec,
        P.double("power", "POLY: exponent.", default: 0.75, min: 0).spec,
        P.optionalDouble("maxLearningRate", "CYCLIC: the top of the cycle.", min: 0).spec,
        P.int("patience", "REDUCEONPLATEAU: epochs without improvement before the rate drops.", default: 10, min: 0).spec,
        P.bool("useLocking", "Accepted for DLPy; ignored.", default: true).spec,
        P.optionalString("fcmpLearningRate", "FCMP function (fcmpact.addRoutines, found through sessionProp.setSessOpt cmplib=) giving the rate per mini-batch from rate, iterNum, batch and initRate; replaces learningRatePolicy.").spec,
        P.double("clipGradMax", "Accepted; ignored.", default: 0).spec, P.double("clipGradMin", "Accepted; ignored.", default: 0).spec,
    ]
    static func accepted(_ n: String, _ d: Value) -> ParamSpec {
        var s = P.value(n, "Accepted for DLPy compatibility; only the default is supported.").spec
        s.defaultValue = d
        return s
    }
    static let optimizer = P.dict("optimizer", "Optimisation settings.", [
        P.dict("algorithm", "The SGD variant and learning-rate policy.", algorithm).spec,
        P.int("miniBatchSize", "Images per mini-batch.", default: 1, min: 1).spec,
        P.int("maxEpochs", "Number of epochs (OptIterHistory has one row per epoch).", default: 1, min: 0).spec,
        P.int("logLevel", "0 quiet, 1 summary, 2 a NOTE per epoch, 3 also per batch.", default: 1, min: 0, max: 3).spec,
        P.int("seed", "Shuffling seed (0: use dlTrain's seed).", default: 0).spec,
        P.double("regL2", "L2 weight decay (when algorithm.weightDecay is 0).", default: 0, min: 0).spec,
        P.double("regL1", "L1 regularisation: only 0 is supported.", default: 0, min: 0, max: 0).spec,
        P.double("dropout", "Input dropout for all layers: only 0 (use dropout layers).", default: 0, min: 0, max: 0).spec,
        P.double("dropoutInput", "Only 0.", default: 0, min: 0, max: 0).spec,
        accepted("dropoutType", "STANDARD"), accepted("stagnation", 0), accepted("threshold", 1e-8), accepted("fConv", 0),
        accepted("snapshotFreq", 0), accepted("bnSrcLayerWarnings", true), accepted("flushWeights", false),
        P.stringList("freezeLayers", "Layers whose parameters are not trained (frozen batch norms use their running statistics).").spec,
        P.optionalString("freezeLayersTo", "Freeze every layer up to and including this one (model-table order).").spec,
    ])

    /// Training options for a data set of `count` images.
    /// `fcmp`: the function named by `algorithm.fcmpLearningRate` (DLTrain looks it up), called per
    /// mini-batch with `rate`, `iterNum` (epoch, from 0), `batch` (within the epoch) and `initRate` bound by name.
    static func options(_ o: Args, count: Int, seed: Int, fcmp: FCMPFunction? = nil) throws(ActionError) -> TrainingOptions {
        let a = o["algorithm"].dictValue.map(Args.init) ?? Args(ValueDict())
        let batch = o["miniBatchSize"].intValue.map { Int($0) } ?? 1, epochs = o["maxEpochs"].intValue.map { Int($0) } ?? 1
        let rate = a["learningRate"].doubleValue ?? 0.001
        let policyChoice: LearningRatePolicy
        if let f = fcmp {
            policyChoice = .custom(CustomRate(batchesPerEpoch: (count + batch - 1) / batch) { epoch, b, base in
                f.call(["rate": base, "iterNum": Double(epoch), "batch": Double(b), "initRate": base]) ?? .nan
            })
        } else {
            policyChoice = try policy(a, iterations: epochs * ((count + batch - 1) / batch), rate: rate)
        }
        if let f = fcmp {
            let probe = f.call(["rate": rate, "iterNum": 0, "batch": 0, "initRate": rate])
            guard let p = probe, p.isFinite else {
                throw ActionError(.parameterValue, "optimizer.algorithm.fcmpLearningRate: function \(f.name) does not give a number for epoch 0, batch 0 (it may use a variable it does not define).",
                                  parameter: "optimizer.algorithm.fcmpLearningRate")
            }
        }
        let wd = (a["weightDecay"].doubleValue ?? 0) > 0 ? a["weightDecay"].doubleValue! : (o["regL2"].doubleValue ?? 0)
        let momentum = a["method"].stringValue == "MOMENTUM" ? (a["momentum"].doubleValue ?? 0.9) : 0
        let s = o["seed"].intValue.map { Int($0) } ?? 0
        return TrainingOptions(epochs: epochs, batchSize: batch, learningRate: rate,
                               policy: policyChoice,
                               sgd: SGDOptions(momentum: momentum, nesterov: false, weightDecay: wd),
                               seed: UInt64(bitPattern: Int64(s != 0 ? s : seed)))
    }

    static func policy(_ a: Args, iterations: Int, rate: Double) throws(ActionError) -> LearningRatePolicy {
        let gamma = a["gamma"].doubleValue ?? 0.1, step = a["stepSize"].intValue.map { Int($0) } ?? 10
        switch a["learningRatePolicy"].stringValue ?? "FIXED" {
        case "STEP": return .step(size: step, gamma: gamma)
        case "MULTISTEP": return .multiStep(milestones: a["steps"].listValue?.compactMap { $0.intValue.map { Int($0) } } ?? [], gamma: gamma)
        case "POLY": return .poly(power: a["power"].doubleValue ?? 0.75, maxIterations: max(1, iterations))
        case "CYCLIC":
            guard let top = a["maxLearningRate"].doubleValue, top > rate else {
                throw ActionError(.parameterValue, "learningRatePolicy=CYCLIC needs maxLearningRate above learningRate (\(rate)).",
                                  parameter: "optimizer.algorithm.maxLearningRate")
            }
            return .cyclic(maxRate: top, stepSize: step, mode: .triangular)
        case "REDUCEONPLATEAU": return .reduceOnPlateau(factor: gamma, patience: a["patience"].intValue.map { Int($0) } ?? 10)
        default: return .fixed
        }
    }
}
