/// Sums a buffer of floats over every rank of a data-parallel training run, in place (MPI_Allreduce in an MPI
/// scale-out server). Every rank calls it the same number of times with buffers of the same size.
public protocol AllReduce: AnyObject {
    func sum(_ values: inout [Float]) throws
}

/// One rank's share of a synchronous data-parallel training run (CAS's default deepLearn mode on several
/// workers): every rank holds the whole model and some of the samples; each step's mini-batch is split over the
/// ranks by where its samples live, and the gradients are summed over the ranks before every rank takes the same
/// SGD step — the weights stay identical everywhere.
///
/// The samples of all ranks, concatenated in rank order, are the global sample order. Every rank shuffles that
/// order with the same seed, so step `s` trains on exactly the samples a single process with the same seed and a
/// mini-batch of `options.batchSize` would: the result depends on the seed, not on the number of ranks (up to the
/// order floating-point sums are taken in). One rank may be a coordinator with no samples (the controller of an
/// MPI server): it chooses the learning rate (its schedule may read the validation loss or a user function), asks
/// the others to stop, and scores the validation data.
public struct DataParallel {
    public let reduce: any AllReduce
    /// Samples on all ranks together.
    public let total: Int
    /// Where this rank's first sample stands in the global order.
    public let offset: Int
    /// Ranks that hold samples (their batch-norm running statistics are averaged after every epoch).
    public let workers: Int
    /// The most samples a rank puts through the model at once (its memory is sized for this many).
    public let chunk: Int
    /// True on the rank that sets the rate and the stop (exactly one rank).
    public let coordinator: Bool

    public init(reduce: any AllReduce, total: Int, offset: Int, workers: Int, chunk: Int, coordinator: Bool) {
        self.reduce = reduce; self.total = total; self.offset = offset; self.workers = workers
        self.chunk = chunk; self.coordinator = coordinator
    }
}

extension Trainer {
    /// Slots after the gradients in each step's all-reduce buffer.
    enum Slot: Int, CaseIterable { case loss, errors, graded, samples, rate, stop, failed }

    /// This rank's part of a data-parallel run (`DataParallel`): `data` holds this rank's samples (none on a
    /// coordinator), `options.batchSize` is the global mini-batch. Every rank must call this with the same model
    /// (same weights), options and `total`. `progress` and `epochEnded` report global figures; on a coordinator
    /// `progress` answering `.stop` stops every rank after the next all-reduce. Validation data is scored where
    /// given (the coordinator). A rank whose forward pass fails makes every rank fail at that step.
    public static func train(
        _ model: Model, data: DataSource, validation: DataSource? = nil, options: TrainingOptions, parallel: DataParallel,
        progress: (TrainingProgress) -> TrainingControl = { _ in .proceed },
        epochEnded: (HistoryRow) -> Void = { _ in }
    ) throws -> TrainingResult {
        // every rank first says whether it can start: a rank that cannot must not leave the others waiting
        var problem: (any Error)?, sgd: SGD?, chunk: Tensor?
        do {
            guard data.sampleShape == model.inputLayer.outputShape else {
                throw EngineError(.shapeMismatch, "data samples have shape \(data.sampleShape), the input layer expects \(model.inputLayer.outputShape)",
                                  layer: model.inputLayer.name)
            }
            guard options.batchSize > 0, options.epochs >= 0, parallel.chunk > 0, parallel.total > 0,
                  parallel.offset >= 0, parallel.offset <= parallel.total - data.count else {
                throw EngineError(.invalidArgument, "data-parallel training needs a positive batch, chunk and sample count, and this rank's samples inside them")
            }
            sgd = try SGD(model: model, options: options.sgd)
            chunk = try Tensor(shape: [min(parallel.chunk, max(data.count, 1))] + data.sampleShape, what: "input batch")
        } catch {
            problem = error
        }
        var ready: [Float] = [problem == nil ? 0 : 1]
        try parallel.reduce.sum(&ready)
        if let problem { throw problem }
        guard ready[0] == 0, let sgd, let chunk else { throw othersFailed("could not start") }
        var schedule = LearningRateSchedule(baseRate: options.learningRate, policy: options.policy)
        var rng = Xoshiro256(seed: options.seed)
        let ranges = model.trainableRanges
        let gradients = ranges.reduce(0) { $0 + $1.count }
        let mine = parallel.offset..<(parallel.offset + data.count)
        let total = parallel.total, global = options.batchSize
        var order = Array(0..<total), history: [HistoryRow] = [], iteration = 0, stopAsked = false
        var pending: (any Error)?   // this rank failed between two all-reduces
        let batches = (total + global - 1) / global
        var buffer = [Float](repeating: 0, count: gradients + Slot.allCases.count)   // one step's all-reduce, kept
        func slot(_ s: Slot) -> Int { gradients + s.rawValue }
        let g = model.gradients.base
        for epoch in 0..<options.epochs {
            if options.shuffle { rng.shuffle(&order) }
            var lossSum = 0.0, errors = 0.0, graded = 0.0, seen = 0.0, firstRate = 0.0
            for b in 0..<batches {
                buffer.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                let rate = schedule.rate(epoch: epoch, iteration: iteration)
                var failure = pending
                if failure != nil {
                    buffer[slot(.failed)] = 1
                } else if stopAsked {
                    buffer[slot(.stop)] = 1
                } else {
                    // this rank's samples of the step's mini-batch, with their places in it
                    let batch = order[(b * global)..<min((b + 1) * global, total)]
                    var ids: [Int] = [], positions: [Int] = []
                    for (k, id) in batch.enumerated() where mine.contains(id) { ids.append(id - parallel.offset); positions.append(k) }
                    do {
                        for start in stride(from: 0, to: ids.count, by: parallel.chunk) {
                            let part = ids[start..<min(start + parallel.chunk, ids.count)]
                            chunk.reshape([part.count] + data.sampleShape)
                            data.fill(part, into: chunk)
                            try model.forward(chunk, training: true)
                            let (loss, err, cases) = try lossAndBackward(model, data, part, positions: Array(positions[part.indices]))
                            // the gradient of the chunk's mean loss, weighted by its samples: summed, then divided by all samples
                            let n = Float(part.count)
                            buffer.withUnsafeMutableBufferPointer { out in
                                var k = 0
                                for r in ranges {
                                    for i in r { out[k] += n * g[i]; k += 1 }
                                }
                            }
                            buffer[slot(.loss)] += Float(loss * Double(part.count))
                            buffer[slot(.errors)] += Float(err)
                            buffer[slot(.graded)] += Float(cases)
                            buffer[slot(.samples)] += n
                        }
                    } catch {
                        failure = error
                        buffer[slot(.failed)] = 1
                    }
                    if parallel.coordinator { buffer[slot(.rate)] = Float(rate) }
                }
                try parallel.reduce.sum(&buffer)
                if buffer[slot(.failed)] > 0 {
                    throw failure ?? othersFailed("failed at mini-batch \(b + 1) of epoch \(epoch) (0-based)")
                }
                if buffer[slot(.stop)] > 0 {
                    // every rank sees the stop here: the running statistics become one model's, as after an epoch
                    try averageBuffers(model, parallel, holdsSamples: data.count > 0)
                    return TrainingResult(history: history, stopped: true)
                }
                let n = Double(buffer[slot(.samples)]), loss = Double(buffer[slot(.loss)]) / max(n, 1)
                guard loss.isFinite else {
                    throw EngineError(.diverged, "the loss of mini-batch \(b + 1) of \(batches) in epoch \(epoch) (0-based) is \(loss.isNaN ? "not a number" : "infinite")")
                }
                let scale = 1 / Float(max(n, 1))
                buffer.withUnsafeBufferPointer { sum in
                    var k = 0
                    for r in ranges {
                        for i in r { g[i] = sum[k] * scale; k += 1 }
                    }
                }
                // the coordinator's rate as the buffer carried it (a float), the same on every rank (Adam divides it in
                // double); the history keeps the coordinator's double
                let stepRate = Double(buffer[slot(.rate)])
                if b == 0 { firstRate = parallel.coordinator ? rate : stepRate }
                sgd.step(model, rate: stepRate)
                model.step &+= 1
                iteration += 1
                lossSum += Double(buffer[slot(.loss)])
                errors += Double(buffer[slot(.errors)])
                graded += Double(buffer[slot(.graded)])
                seen += n
                let p = TrainingProgress(epoch: epoch + 1, batch: b + 1, batchesPerEpoch: batches, batchLoss: loss,
                                         learningRate: parallel.coordinator ? rate : stepRate)
                if progress(p) == .stop, parallel.coordinator { stopAsked = true }
            }
            try averageBuffers(model, parallel, holdsSamples: data.count > 0)
            do {
                try finishEpoch(model, HistoryRow(epoch: epoch + 1, learningRate: firstRate, loss: lossSum / max(seen, 1), error: errors / max(1, graded)),
                                validation: validation, batchSize: parallel.chunk, schedule: &schedule, history: &history, epochEnded: epochEnded)
            } catch {
                // the others are on their way to the next step's all-reduce: fail there, together
                pending = error
            }
        }
        if let pending { throw pending }
        return TrainingResult(history: history, stopped: false)
    }

    /// Takes part in a data-parallel run's first all-reduce only, to say this rank cannot start (its set-up failed):
    /// every other rank's `train` then fails at once instead of waiting for it.
    public static func refuse(_ parallel: DataParallel) throws {
        var ready: [Float] = [1]
        try parallel.reduce.sum(&ready)
    }

    static func othersFailed(_ what: String) -> EngineError {
        EngineError(.backend, "\(othersFailedText) \(what)")
    }

    /// Begins the error of a rank that stopped because another rank failed (its own error says more).
    public static let othersFailedText = "another rank of the data-parallel training"

    /// After an epoch: every rank's running statistics (batch norm) become the mean of those of the ranks holding
    /// samples (a coordinator adds nothing), so validation, the stored weights and the next epoch see one model.
    static func averageBuffers(_ model: Model, _ parallel: DataParallel, holdsSamples: Bool) throws {
        let n = model.buffers.count
        guard n > 0, model.layers.contains(where: { !$0.buffers.isEmpty }) else { return }
        var values = holdsSamples ? Array(model.buffers.buffer) : [Float](repeating: 0, count: n)
        try parallel.reduce.sum(&values)
        let scale = 1 / Float(max(parallel.workers, 1))
        for i in 0..<n { model.buffers.base[i] = values[i] * scale }
        model.parametersChanged()
    }
}
