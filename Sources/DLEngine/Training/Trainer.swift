/// Options of a training run (CAS `dlTrain` optimizer settings).
public struct TrainingOptions: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var policy: LearningRatePolicy
    public var sgd: SGDOptions
    /// Seeds the shuffling (the model's weights were seeded when it was built).
    public var seed: UInt64
    public var shuffle: Bool

    public init(epochs: Int = 10, batchSize: Int = 32, learningRate: Double = 0.01, policy: LearningRatePolicy = .fixed,
                sgd: SGDOptions = SGDOptions(), seed: UInt64 = 0, shuffle: Bool = true) {
        self.epochs = epochs; self.batchSize = batchSize; self.learningRate = learningRate; self.policy = policy
        self.sgd = sgd; self.seed = seed; self.shuffle = shuffle
    }
}

/// One row of the training history (CAS OptIterHistory).
public struct HistoryRow: Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Rate used by the epoch's first batch.
    public var learningRate: Double
    /// Mean training loss over the epoch's samples (training-mode forward).
    public var loss: Double
    /// Fraction of training samples misclassified during the epoch.
    public var error: Double
    public var validLoss: Double?
    public var validError: Double?

    public init(epoch: Int, learningRate: Double, loss: Double, error: Double, validLoss: Double? = nil, validError: Double? = nil) {
        self.epoch = epoch; self.learningRate = learningRate; self.loss = loss; self.error = error
        self.validLoss = validLoss; self.validError = validError
    }
}

/// Reported between batches; the callback's answer decides whether training goes on.
public struct TrainingProgress: Sendable {
    public var epoch: Int          // 1-based
    public var batch: Int          // 1-based within the epoch
    public var batchesPerEpoch: Int
    public var batchLoss: Double
    public var learningRate: Double
}

/// What the progress callback wants next.
public enum TrainingControl: Sendable { case proceed, stop }

/// The outcome of `Trainer.train`.
public struct TrainingResult: Sendable {
    public var history: [HistoryRow]
    /// True when the callback stopped the run; `history` then holds the completed epochs.
    public var stopped: Bool

    public init(history: [HistoryRow], stopped: Bool) {
        self.history = history; self.stopped = stopped
    }
}

/// Mini-batch SGD training and evaluation of a `Model`. Deterministic for a given model seed,
/// options seed and thread count.
public enum Trainer {
    /// Trains for `options.epochs` epochs. `progress` runs after every batch (cancellation point);
    /// `epochEnded` after every completed epoch with its history row (1-based epoch).
    public static func train(
        _ model: Model, data: DataSource, validation: DataSource? = nil, options: TrainingOptions,
        progress: (TrainingProgress) -> TrainingControl = { _ in .proceed },
        epochEnded: (HistoryRow) -> Void = { _ in }
    ) throws -> TrainingResult {
        try check(model, data)
        if let validation { try check(model, validation) }
        guard options.batchSize > 0, options.epochs >= 0 else {
            throw EngineError(.invalidArgument, "batchSize must be positive and epochs not negative")
        }
        let sgd = try SGD(model: model, options: options.sgd)
        var schedule = LearningRateSchedule(baseRate: options.learningRate, policy: options.policy)
        var rng = Xoshiro256(seed: options.seed)
        let batch = try Tensor(shape: [options.batchSize] + data.sampleShape, what: "input batch")
        var order = Array(0..<data.count), history: [HistoryRow] = [], iteration = 0
        let batches = (data.count + options.batchSize - 1) / options.batchSize
        for epoch in 0..<options.epochs {
            if options.shuffle { rng.shuffle(&order) }
            var lossSum = 0.0, errors = 0, cases = 0, firstRate = 0.0
            for b in 0..<batches {
                let ids = order[(b * options.batchSize)..<min((b + 1) * options.batchSize, data.count)]
                batch.reshape([ids.count] + data.sampleShape)
                data.fill(ids, into: batch)
                let rate = schedule.rate(epoch: epoch, iteration: iteration)
                if b == 0 { firstRate = rate }
                try model.forward(batch, training: true)
                let (loss, err, graded) = try lossAndBackward(model, data, ids)
                // checked before the step: weights that already give a NaN/infinite loss are not stepped further
                guard loss.isFinite else {
                    throw EngineError(.diverged, "the loss of mini-batch \(b + 1) of \(batches) in epoch \(epoch) (0-based) is \(loss.isNaN ? "not a number" : "infinite")")
                }
                cases += graded
                sgd.step(model, rate: rate)
                model.step &+= 1
                iteration += 1
                lossSum += loss * Double(ids.count)
                errors += err
                let p = TrainingProgress(epoch: epoch + 1, batch: b + 1, batchesPerEpoch: batches, batchLoss: loss, learningRate: rate)
                if progress(p) == .stop { return TrainingResult(history: history, stopped: true) }
            }
            try finishEpoch(model, HistoryRow(epoch: epoch + 1, learningRate: firstRate, loss: lossSum / Double(data.count),
                                              error: Double(errors) / Double(max(1, cases))),
                            validation: validation, batchSize: options.batchSize, schedule: &schedule, history: &history, epochEnded: epochEnded)
        }
        return TrainingResult(history: history, stopped: false)
    }

    /// The end of an epoch: the weights checked, the validation data scored into `row`, the schedule told, the row
    /// recorded and reported.
    static func finishEpoch(_ model: Model, _ row: HistoryRow, validation: DataSource?, batchSize: Int, schedule: inout LearningRateSchedule,
                            history: inout [HistoryRow], epochEnded: (HistoryRow) -> Void) throws {
        // a loss can stay finite while weights are not (a ReLU or max pool turns NaN inputs into numbers)
        if let bad = nonFinite(model) {
            throw EngineError(.diverged, "after epoch \(row.epoch - 1) (0-based) the \(bad.block) of layer \(bad.layer) holds values that are not numbers",
                              layer: bad.layer)
        }
        var row = row
        if let validation {
            let v = try evaluate(model, data: validation, batchSize: batchSize)
            row.validLoss = v.loss
            row.validError = v.error
        }
        schedule.epochEnded(metric: row.validLoss ?? row.loss)
        history.append(row)
        epochEnded(row)
    }

    /// The first parameter or running statistic holding a NaN or an infinity.
    static func nonFinite(_ model: Model) -> (layer: String, block: String)? {
        for l in model.layers {
            for b in l.parameters + l.buffers where !b.value.allSatisfy(\.isFinite) { return (l.name, b.name) }
        }
        return nil
    }

    /// Loss, errors and graded cases (samples, pixels or truth boxes) of the last training forward on samples `ids`,
    /// then its backward pass (gradients zeroed first).
    /// Targets that locate things in the image (masks, boxes) move with the input layer's random flips.
    /// `positions`: where each sample stands in the step's whole mini-batch (data-parallel training: this rank's
    /// samples are some of it), which decides its random flips; default 0, 1, 2, …
    static func lossAndBackward(_ model: Model, _ data: DataSource, _ ids: ArraySlice<Int>, positions: [Int]? = nil) throws -> (Double, Int, Int) {
        model.zeroGradients()
        let augmentation = (model.inputLayer as? InputLayer)?.augmentation
        func flips(_ k: Int) -> (horizontal: Bool, vertical: Bool) {
            guard let a = augmentation, a.flip != .none else { return (false, false) }
            return a.flips(step: model.step, sample: positions?[k] ?? k) ?? (false, false)
        }
        if model.outputLayer is YoloDetectionLayer {
            let targets = ids.enumerated().flatMap { k, id in flipped(boxes: data.boxes(id), flips(k)) }
            let (loss, errors, truths) = model.detectionLoss(targets: targets)
            try model.backward(targets: targets)
            return (loss, errors, truths)
        }
        var labels = ids.flatMap { data.labels($0) }
        if let seg = model.outputLayer as? SoftmaxCrossEntropyLayer, seg.perPosition {
            let (h, w) = (seg.outputShape[0], seg.outputShape[1])
            labels = (0..<ids.count).flatMap { k in flipped(mask: Array(labels[(k * h * w)..<((k + 1) * h * w)]), height: h, width: w, flips(k)) }
        }
        let (loss, errors) = model.lossAndErrors(labels: labels)
        try model.backward(labels: labels)
        return (loss, errors, labels.count)
    }

    /// Boxes (maxLabels × (class, x, y, w, h), image-relative centres) as a flipped image shows them.
    static func flipped(boxes: [Float], _ f: (horizontal: Bool, vertical: Bool)) -> [Float] {
        guard f.horizontal || f.vertical else { return boxes }
        var b = boxes
        for i in stride(from: 0, to: b.count, by: 5) where b[i] >= 0 {
            if f.horizontal { b[i + 1] = 1 - b[i + 1] }
            if f.vertical { b[i + 2] = 1 - b[i + 2] }
        }
        return b
    }

    /// A row-major class mask as a flipped image shows it.
    static func flipped(mask: [Int], height h: Int, width w: Int, _ f: (horizontal: Bool, vertical: Bool)) -> [Int] {
        guard f.horizontal || f.vertical else { return mask }
        var out = mask
        for y in 0..<h {
            for x in 0..<w { out[y * w + x] = mask[(f.vertical ? h - 1 - y : y) * w + (f.horizontal ? w - 1 - x : x)] }
        }
        return out
    }

    /// Inference-mode forward passes over `data` in order, `batchSize` samples at a time: `body` gets each batch's
    /// sample indices and the model's output for them (valid until the next batch).
    public static func forEachBatch(_ model: Model, data: DataSource, batchSize: Int,
                                    _ body: (ArraySlice<Int>, Tensor) throws -> Void) throws {
        try check(model, data)
        let bs = max(1, batchSize)
        let batch = try Tensor(shape: [bs] + data.sampleShape, what: "input batch")
        for start in stride(from: 0, to: data.count, by: bs) {
            let ids = Array(start..<min(start + bs, data.count))[...]
            batch.reshape([ids.count] + data.sampleShape)
            data.fill(ids, into: batch)
            try body(ids, try model.forward(batch, training: false))
        }
    }

    /// Inference-mode mean loss and error rate over `data` (for a detection model: the share of truth boxes missed).
    public static func evaluate(_ model: Model, data: DataSource, batchSize: Int = 64) throws -> (loss: Double, error: Double) {
        if model.outputLayer is YoloDetectionLayer {
            var lossSum = 0.0, errors = 0, truths = 0
            try forEachBatch(model, data: data, batchSize: batchSize) { ids, _ in
                let r = model.detectionLoss(targets: ids.flatMap { data.boxes($0) })
                lossSum += r.loss * Double(ids.count); errors += r.errors; truths += r.truths
            }
            return (lossSum / Double(data.count), Double(errors) / Double(max(1, truths)))
        }
        let s = try score(model, data: data, batchSize: batchSize)
        return (s.loss, s.errorRate)
    }

    /// Inference-mode scoring: probabilities, predictions, loss, confusion matrix.
    public static func score(_ model: Model, data: DataSource, batchSize: Int = 64) throws -> ScoreResult {
        guard let out = model.outputLayer as? SoftmaxCrossEntropyLayer else {
            throw EngineError(.invalidLayer, "scoring needs a softmax output layer", layer: model.outputLayer.name)
        }
        let k = out.classes
        var probabilities: [Float] = [], lossSum = 0.0
        probabilities.reserveCapacity(data.count * k)
        try forEachBatch(model, data: data, batchSize: batchSize) { ids, p in
            probabilities.append(contentsOf: p.buffer)
            lossSum += model.lossAndErrors(labels: ids.flatMap { data.labels($0) }).loss * Double(ids.count)
        }
        return ScoreResult(probabilities: probabilities, classes: k, labels: (0..<data.count).flatMap { data.labels($0) },
                           loss: data.count > 0 ? lossSum / Double(data.count) : 0)
    }

    /// Inference-mode predictions without labels: probabilities [N·K] and the arg-max class per sample.
    /// `data.label` is never called.
    /// `afterBatch` runs after each batch's forward with the batch's sample count (to read kept activations).
    public static func predict(_ model: Model, data: DataSource, batchSize: Int = 64,
                               afterBatch: ((Int) throws -> Void)? = nil) throws -> (probabilities: [Float], predicted: [Int]) {
        let k = model.outputLayer.outputShape.reduce(1, *)
        var probabilities: [Float] = []
        probabilities.reserveCapacity(data.count * k)
        try forEachBatch(model, data: data, batchSize: batchSize) { ids, p in
            probabilities.append(contentsOf: p.buffer)
            try afterBatch?(ids.count)
        }
        let predicted = (0..<data.count).map { n in
            var best = 0
            for j in 1..<k where probabilities[n * k + j] > probabilities[n * k + best] { best = j }
            return best
        }
        return (probabilities, predicted)
    }

    private static func check(_ model: Model, _ data: DataSource) throws {
        guard data.sampleShape == model.inputLayer.outputShape else {
            throw EngineError(.shapeMismatch, "data samples have shape \(data.sampleShape), the input layer expects \(model.inputLayer.outputShape)",
                              layer: model.inputLayer.name)
        }
        guard data.count > 0 else { throw EngineError(.invalidArgument, "the data set is empty") }
    }
}

/// Scoring output (CAS dlScore): per-sample probabilities and predictions, and summary statistics.
public struct ScoreResult: Sendable {
    /// [N, K] row-major.
    public let probabilities: [Float]
    public let classes: Int
    /// Predicted class per sample (first arg-max).
    public let predicted: [Int]
    public let labels: [Int]
    /// Mean cross-entropy.
    public let loss: Double
    /// confusion[actual][predicted] = count.
    public let confusion: [[Int]]

    init(probabilities: [Float], classes k: Int, labels: [Int], loss: Double) {
        self.probabilities = probabilities
        classes = k
        self.labels = labels
        self.loss = loss
        predicted = (0..<labels.count).map { n in
            var best = 0
            for j in 1..<k where probabilities[n * k + j] > probabilities[n * k + best] { best = j }
            return best
        }
        var c = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(labels, predicted) { c[t][p] += 1 }
        confusion = c
    }

    /// Fraction misclassified.
    public var errorRate: Double {
        labels.isEmpty ? 0 : Double(zip(labels, predicted).filter { $0 != $1 }.count) / Double(labels.count)
    }

    /// Accuracy per actual class (nil for a class with no samples).
    public var perClassAccuracy: [Double?] {
        confusion.enumerated().map { i, row in
            let total = row.reduce(0, +)
            return total == 0 ? nil : Double(row[i]) / Double(total)
        }
    }
}
