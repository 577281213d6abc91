import ActionSetFCMPAct
import CASCore
import CASWire
import DLEngine

/// dlTrain's `optimizer` parameter list (CAS names, plus the ones DLPy always sends) and its reading
/// into the engine's training options.
enum Optimizer: ParamGroup {
    static let algorithm = P.group("algorithm", "The SGD variant and learning-rate policy.", Algorithm.self)
    static let miniBatchSize = P.int("miniBatchSize", "Images per mini-batch.", default: 1, min: 1, max: 65_536)
    static let maxEpochs = P.int("maxEpochs", "Number of epochs (OptIterHistory has one row per epoch).", default: 1, min: 0, max: 1_000_000)
    static let logLevel = P.int("logLevel", "0 quiet, 1 summary, 2 a NOTE per epoch, 3 also per batch.", default: 1, min: 0, max: 3)
    static let seed = P.int("seed", "Shuffling seed (0: use dlTrain's seed).", default: 0)
    static let regL2 = P.double("regL2", "L2 weight decay (when algorithm.weightDecay is 0).", default: 0, min: 0)
    static let regL1 = P.double("regL1", "L1 regularisation: only 0 is supported.", default: 0, min: 0, max: 0)
    static let dropout = P.double("dropout", "Input dropout for all layers: only 0 (use dropout layers).", default: 0, min: 0, max: 0)
    static let dropoutInput = P.double("dropoutInput", "Only 0.", default: 0, min: 0, max: 0)
    static let freezeLayers = P.stringList("freezeLayers", "Layers whose parameters are not trained (frozen batch norms use their running statistics).")
    static let freezeLayersTo = P.optionalString("freezeLayersTo", "Freeze every layer up to and including this one (model-table order).")
    /// Options DLPy sends that only have their default here.
    static let acceptedDefaults = [accepted("dropoutType", "STANDARD"), accepted("stagnation", 0), accepted("threshold", 1e-8), accepted("fConv", 0),
                                   accepted("snapshotFreq", 0), accepted("bnSrcLayerWarnings", true), accepted("flushWeights", false)]
    static let parameters = [algorithm.spec, miniBatchSize.spec, maxEpochs.spec, logLevel.spec, seed.spec, regL2.spec, regL1.spec,
                             dropout.spec, dropoutInput.spec] + acceptedDefaults + [freezeLayers.spec, freezeLayersTo.spec]

    /// A parameter accepted for DLPy compatibility that only supports its default `d`.
    static func accepted(_ n: String, _ d: Value) -> ParamSpec {
        var s = P.value(n, "Accepted for DLPy compatibility; only the default is supported.").spec
        s.defaultValue = d
        return s
    }

    /// Training options for a data set of `count` images; `dlTrainSeed` shuffles when `seed` is 0.
    /// `fcmp`: the function named by `algorithm.fcmpLearningRate` (DLTrain looks it up), called per
    /// mini-batch with `rate`, `iterNum` (epoch, from 0), `batch` (within the epoch) and `initRate` bound by name.
    /// `workers`: the workers of an MPI server training together; the mini-batch of a step is miniBatchSize × workers.
    static func options(_ o: Args, count: Int, dlTrainSeed: Int, fcmp: FCMPFunction? = nil, workers: Int = 1) throws(ActionError) -> TrainingOptions {
        let a = o[algorithm]
        let batch = o[miniBatchSize] * max(workers, 1), epochs = o[maxEpochs]   // ≤ 2^31 · the ranks: no overflow
        let rate = a[Algorithm.learningRate]
        let policy: LearningRatePolicy
        if let f = fcmp {
            try probe(f, rate: rate)
            policy = .custom(CustomRate(batchesPerEpoch: batches(count, batch)) { epoch, b, base in
                f.call(["rate": base, "iterNum": Double(epoch), "batch": Double(b), "initRate": base]) ?? .nan
            })
        } else {
            policy = try Algorithm.policy(a, iterations: epochs * batches(count, batch), rate: rate)  // ≤ 10^6 · 2^31: no overflow
        }
        let wd = a[Algorithm.weightDecay] > 0 ? a[Algorithm.weightDecay] : o[regL2]
        let s = o[seed] != 0 ? o[seed] : dlTrainSeed
        return TrainingOptions(epochs: epochs, batchSize: batch, learningRate: rate, policy: policy, sgd: Algorithm.sgd(a, weightDecay: wd),
                               seed: UInt64(bitPattern: Int64(s)))
    }

    /// Mini-batches per epoch: ⌈count / batch⌉ without overflow.
    static func batches(_ count: Int, _ batch: Int) -> Int { count / batch + (count % batch == 0 ? 0 : 1) }

    /// Refuses an FCMP rate function that gives no number for the first mini-batch.
    static func probe(_ f: FCMPFunction, rate: Double) throws(ActionError) {
        guard let p = f.call(["rate": rate, "iterNum": 0, "batch": 0, "initRate": rate]), p.isFinite else {
            throw ActionError(.parameterValue, "optimizer.algorithm.fcmpLearningRate: function \(f.name) does not give a number for epoch 0, batch 0 (it may use a variable it does not define).",
                              parameter: "optimizer.algorithm.fcmpLearningRate")
        }
    }
}
