import ActionSetFCMPAct
import CASCore
import CASWire
import DLEngine
import Foundation

/// dlTrain on an MPI server (docs/scale-out.md): synchronous data-parallel training, CAS's default mode. Every
/// worker holds the model and trains on its block of the table; the gradients are summed over the workers every
/// step (MPI_Allreduce) and every rank takes the same step (`DataParallel`). The global mini-batch is
/// miniBatchSize × the workers holding rows; the controller holds the model too, chooses the rate, scores the
/// validation table and writes the weights. Plain classifiers only: segmentation and detection models, and
/// reduced precision, train on the controller with the table gathered.
extension DLTrain {
    /// The distributed run, or nil when it does not apply (the caller trains on the controller as usual).
    static func distributed(_ args: Args, _ ctx: ActionContext, precision: Precision) async throws -> ValueDict? {
        guard precision == .fp32, let t = try await ctx.distributedTable(args[table]) else { return nil }
        var (loaded, _) = try await ModelAccess.load(args[modelTable], ctx, parameter: "modelTable")
        guard loaded.layers.last.map({ $0.kind == .output }) == true, args[dataSpecs].isEmpty else { return nil }
        let column = args[inputs].first ?? "_image_", target = args[target]
        guard let images = t.data.column(column) else {
            throw ActionError(.notFound, "Column '\(column)' (inputs) does not exist in table \(t.name).", parameter: "inputs")
        }
        guard images.type == .varbinary else {
            throw ActionError(.parameterValue, "Column '\(column)' of table \(t.name) must be varbinary (images), not \(images.type.rawValue).", parameter: "inputs")
        }
        guard let labels = t.data.column(target) else {
            throw ActionError(.notFound, "Target column '\(target)' does not exist in table \(t.name).", parameter: "target")
        }
        guard labels.type != .varbinary else {
            throw TrainingData.targetHoldsImages(t, target)
        }
        // the levels, and the usable rows (an image and a target value) of every worker's block
        let partials = try await ctx.onWorkers(t, args[table], DeepLearnKernels.census, args: PartitionKernel.arguments(columns: [images, labels]))
        var levelSet = Set<String>(), counts: [Int] = []
        for p in partials {
            var n = 0
            if let l = p.column("Level"), let c = p.column("Count") {
                for r in 0..<p.rowCount {
                    levelSet.insert(l.data.value(at: r).stringValue ?? "")
                    n += c.data.value(at: r).intValue.map(Int.init) ?? 0
                }
            }
            counts.append(n)
        }
        let total = counts.reduce(0, +), workers = counts.filter { $0 > 0 }.count
        guard total > 0 else { throw TrainingData.noUsableRows(t, column, target) }
        var levels = levelSet.sorted()
        if args[targetOrder] == "DESCENDING" { levels.reverse() }
        let unsized = loaded.outputsWithoutClasses
        if !unsized.isEmpty {
            loaded = loaded.withClasses { _ in levels.count }
            ctx.note("Output layer \(unsized.joined(separator: ", ")) has n = \(levels.count), the number of levels of target \(target).")
        }
        let m = loaded
        let seedValue = UInt64(bitPattern: Int64(args[seed]))
        let batch = args[optimizer][Optimizer.miniBatchSize]
        let slabs = Algorithm.sgd(args[optimizer][Optimizer.algorithm], weightDecay: 0).slabs
        let engine = try await ctx.cpu { () throws -> Model in
            try EngineGraph.model(m, seed: seedValue, for: .training(batch: batch, optimizerSlabs: slabs), ctx)
        }
        guard let input = engine.inputLayer as? InputLayer else {
            throw ActionError(.parameterValue, "The model needs an input layer.", parameter: "modelTable")
        }
        guard let out = engine.outputLayer as? SoftmaxCrossEntropyLayer, !out.perPosition else { return nil }
        guard levels.count == out.classes else {
            throw TrainingData.classMismatch(out.classes, levels, target: target)
        }
        // the workers' decoded images, charged to this session as one process charges its own
        try ctx.reserve(ImageData.decodedBytes(total, input.shape), for: "\(total) decoded images of table \(t.name) on the workers")
        let fcmp = try await prepare(engine, m, args, ctx)
        let opt = args[optimizer]
        let options = try Optimizer.options(opt, count: total, dlTrainSeed: args[seed], fcmp: fcmp, workers: workers)
        var valid: ArrayDataSource?
        if let validTable = args[validTable] {
            let v = try await ctx.filteredTable(validTable, parameter: "validTable")
            let samples = try await TrainingData.decode(v.data, column, target, input.shape, ctx, .of(input, training: nil))
            if let unknown = samples.labels.compactMap({ $0 }).first(where: { !levels.contains($0) }) {
                throw ActionError(.parameterValue, "validTable \(v.name) has target level '\(unknown)', which the training table does not have.", parameter: "validTable")
            }
            valid = samples.count > 0 ? samples.source(levels: levels) : nil
        }
        // what every worker needs: the model, its starting weights, and its share
        var offsets: [String: Int] = [:], start = 0
        for (block, n) in zip(t.parts?.blocks ?? [], counts) { offsets[String(block.rank)] = start; start += n }
        let share = TrainShare(image: column, target: target, levels: levels, shape: input.shape, seed: args[seed], threads: TrainingRun.threads(args[nThreads]),
                               frozen: engine.layers.filter(\.isFrozen).map(\.name), epochs: options.epochs, globalBatch: options.batchSize,
                               chunk: batch, momentum: options.sgd.momentum, nesterov: options.sgd.nesterov, weightDecay: options.sgd.weightDecay,
                               adam: options.sgd.adam.map { [$0.beta1, $0.beta2, $0.epsilon] }, shuffleSeed: options.seed, total: total,
                               offsets: offsets, workers: workers, learningRate: options.learningRate)
        let payload = try ModelPayload.join(share, model: m.table(name: m.modelName),
                                            weights: WeightsTable(model: engine, specs: m, target: target, levels: levels).table(name: "start"),
                                            action: "dlTrain")
        let validation = valid
        let run = TrainingRun(ctx: ctx, logLevel: opt[Optimizer.logLevel], threads: args[nThreads], model: m.modelName)
        let threads = TrainingRun.threads(args[nThreads])
        let shape = input.shape, ref = args[table]
        let outcome = try await run.run(images: total, levels: levels, options: options, workers: workers) { progress, epochEnded in
            let result = ResultBox()
            _ = try await ctx.collectively(t, ref, DeepLearnKernels.train, args: [:], payload: payload) { collectives throws(ActionError) in
                EngineThreads.set(threads)
                let parallel = DataParallel(reduce: ReduceOver(collectives), total: total, offset: 0, workers: workers, chunk: batch, coordinator: true)
                do {
                    result.value = try Trainer.train(engine, data: ArrayDataSource(values: [], labels: [], sampleShape: shape), validation: validation,
                                                     options: options, parallel: parallel, progress: progress, epochEnded: epochEnded)
                } catch {
                    throw KernelContext.marked(TrainingRun.failure(error, rate: options.learningRate), secondhand: "\(error)".contains(Trainer.othersFailedText))
                }
            }
            guard let r = result.value else { throw ActionError(.internalError, "Training across the workers ended without a result.") }
            return r
        }
        let outRef = args[modelWeights]
        let weights = WeightsTable(model: engine, specs: m, target: target, levels: levels)
        let stored = try await ctx.store(weights.table(name: outRef.name ?? "\(m.modelName)_weights"), out: OutTableRef(
            name: outRef.name, caslib: outRef.caslib, replace: outRef.replace || isInPlace(args), promote: outRef.promote), defaultName: "\(m.modelName)_weights",
            parameter: "modelWeights")
        if outcome.stopped {
            ctx.warning("Training stopped early (cancelled) after \(outcome.history.count) complete epochs; table \(stored.name) holds the weights of the last completed mini-batch.")
        }
        return ["OptIterHistory": .table(history(outcome.history, valid: valid != nil)),
                "ModelInfo": ModelAccess.info(m, engine), "OutputCasTables": .table(.outputCasTables([stored]))]
    }
}

/// The training result the controller's part of a collective run leaves behind.
private final class ResultBox: @unchecked Sendable {
    var value: TrainingResult?
}

/// The engine's all-reduce over an MPI server's collectives.
final class ReduceOver: AllReduce {
    let collectives: any Collectives
    init(_ collectives: any Collectives) { self.collectives = collectives }
    func sum(_ values: inout [Float]) throws { try collectives.allReduceSum(&values) }
}

/// What a worker of a distributed dlTrain needs besides the model and its starting weights (sent along with
/// them: `payload`).
struct TrainShare: Codable {
    var image: String, target: String, levels: [String], shape: [Int]
    var seed: Int, threads: Int, frozen: [String]
    var epochs: Int, globalBatch: Int, chunk: Int
    var momentum: Double, nesterov: Bool, weightDecay: Double, adam: [Double]?
    var shuffleSeed: UInt64, total: Int
    /// The global index of the first usable row of each worker (by rank) holding rows.
    var offsets: [String: Int]
    var workers: Int
    var learningRate: Double
}

/// What a worker of a distributed dlTrain or dlScore gets: its share (JSON), the model table and the weights table,
/// each after its length (`LengthPrefixed`).
enum ModelPayload {
    static func join<Share: Encodable>(_ share: Share, model: DataTable, weights: DataTable, action: String) throws(ActionError) -> [UInt8] {
        let json: Data
        do { json = try JSONEncoder().encode(share) } catch { throw ActionError(.internalError, "\(action): \(error)") }
        return LengthPrefixed.join([Array(json), model.binaryEncoded(), weights.binaryEncoded()])
    }

    static func split<Share: Decodable>(_ payload: [UInt8], as _: Share.Type, action: String) throws(ActionError) -> (Share, DataTable, DataTable) {
        guard let parts = LengthPrefixed.split(payload, count: 3)?.parts, let share = try? JSONDecoder().decode(Share.self, from: Data(parts[0])),
              let model = try? DataTable(binary: parts[1]), let weights = try? DataTable(binary: parts[2]) else {
            throw ActionError(.internalError, "\(action): the controller's model and weights are unreadable on this worker")
        }
        return (share, model, weights)
    }
}

/// The partition-local kernels of deepLearn's actions, for the workers of an MPI server.
public enum DeepLearnKernels {
    public static let all: [PartitionKernel] = [census, train, score, heatMapCensus, heatMaps]

    /// The usable rows of a block (an image and a target value) by target level: Level, Count.
    static let census = PartitionKernel("deepLearn.dlTrain.census") { block, arguments throws(ActionError) in
        let c = try PartitionKernel.columns(of: block, arguments, kernel: "deepLearn.dlTrain.census")
        guard c.count == 2 else { throw ActionError(.internalError, "deepLearn.dlTrain.census: needs the image and the target column") }
        var counts: [String: Int] = [:]
        for r in 0..<block.rowCount where !c[0].data.isMissing(at: r) && !c[1].data.isMissing(at: r) {
            counts[LevelText.text(c[1].data.value(at: r)), default: 0] += 1
        }
        var b = TableBuilder(name: "Levels", columns: [("Level", .varchar), ("Count", .int64)])
        for (level, n) in counts.sorted(by: { $0.key < $1.key }) { b.append([.string(level), .int(Int64(n))]) }
        return b.table
    }

    /// A worker's part of a distributed dlTrain: the controller's model and starting weights, trained on the
    /// block's usable rows together with every other rank (`Trainer.train(…, parallel:)`).
    static let train = PartitionKernel("deepLearn.dlTrain.train", context: { block, _, context throws(ActionError) in
        guard let collectives = context.collectives else { throw ActionError(.internalError, "deepLearn.dlTrain.train runs only collectively") }
        let share: TrainShare, engine: Model, data: ArrayDataSource, offset: Int
        do throws(ActionError) {
            let (s, modelTable, weights) = try ModelPayload.split(context.payload, as: TrainShare.self, action: "dlTrain")
            share = s
            let m = try ModelTable(modelTable)
            let seed = UInt64(bitPattern: Int64(s.seed))
            do { engine = try Model(layers: try EngineGraph.engineLayers(m, seed: seed), seed: seed) } catch let e as ActionError { throw e } catch {
                throw ActionError(.parameterValue, "Model \(m.modelName) is not valid on this worker: \(error)")
            }
            try WeightsTable(weights, parameter: "initWeights").load(into: engine, parameter: "initWeights")
            if !s.frozen.isEmpty {
                do { try engine.setFrozen(Set(s.frozen)) } catch { throw ActionError(.parameterValue, "\(error)", parameter: "optimizer.freezeLayers") }
            }
            guard let input = engine.inputLayer as? InputLayer else { throw ActionError(.parameterValue, "The model needs an input layer.", parameter: "modelTable") }
            let samples = try ImageData.read(block, inputs: s.image, target: s.target, shape: s.shape, requireTarget: true, reserve: { _, _ in },
                                             window: .of(input, training: seed))
            data = samples.source(levels: s.levels)
            if let unknown = samples.labels.compactMap({ $0 }).first(where: { !s.levels.contains($0) }) {
                throw ActionError(.internalError, "dlTrain: level '\(unknown)' on a worker that the census did not count")
            }
            offset = data.count == 0 ? s.total : (s.offsets.first { Int($0.key) == context.rank }?.value ?? -1)
        } catch {
            collectives.refuse()
            throw error
        }
        EngineThreads.set(share.threads)
        let options = TrainingOptions(epochs: share.epochs, batchSize: share.globalBatch, learningRate: share.learningRate,
                                      sgd: SGDOptions(momentum: share.momentum, nesterov: share.nesterov, weightDecay: share.weightDecay,
                                                      adam: share.adam.map { AdamSettings(beta1: $0[0], beta2: $0[1], epsilon: $0[2]) }),
                                      seed: share.shuffleSeed)
        let result: TrainingResult
        do {
            result = try Trainer.train(engine, data: data, options: options,
                                       parallel: DataParallel(reduce: ReduceOver(collectives), total: share.total, offset: offset, workers: share.workers,
                                                              chunk: share.chunk, coordinator: false))
        } catch {
            throw KernelContext.marked(TrainingRun.failure(error, rate: share.learningRate), secondhand: "\(error)".contains(Trainer.othersFailedText))
        }
        var b = TableBuilder(name: "Trained", columns: [("Samples", .int64), ("Epochs", .int64)])
        b.append([.int(Int64(data.count)), .int(Int64(result.history.count))])
        return b.table
    })
}
