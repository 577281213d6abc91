import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlScore` of a classifier on a distributed table (`serve --mpi`): every worker scores its own rows with
/// the controller's model and weights and keeps its part of the scored table (`DeepLearnKernels.score`); the
/// controller gets each row's label, prediction and probabilities (not its image) and computes ScoreInfo,
/// ClassAccuracy and the confusion matrix exactly as one process does. FP32 and BF16; INT8 (its calibration) and
/// layerOut score on the controller.
extension DLScore {
    /// Nil when the model, the precision or the weights need the one-process path.
    static func scoreOnWorkers(_ args: Args, _ ctx: ActionContext, _ m: ModelTable, _ w: WeightsTable, _ weights: DataTable,
                               _ t: CASTable, _ precisionValue: Precision) async throws -> ValueDict? {
        let column = args[inputs].first ?? "_image_", target = w.target ?? "_label_", batch = args[bufferSize]
        let schema = t.data
        // the one-process checks, on the controller: the model with its weights, the image column, copyVars
        let (shape, classes) = try await ctx.cpu { () throws -> ([Int], Int) in
            let (engine, input) = try classifier(m, w, batch: batch, ctx)
            try PrecisionOption.apply(precisionValue, to: engine, ctx)
            _ = try ImageData.read(schema, inputs: column, target: target, shape: input.shape, requireTarget: false, ctx: ctx)
            return (input.shape, engine.outputLayer.outputShape.reduce(1, *))
        }
        // without the levels in the weights, one process names them from the labels it reads: score there
        guard w.levels.count == classes, let parts = t.parts else { return nil }
        let none = Scoring(samples: ImageSamples(values: [], rows: [], labels: [], shape: shape), probabilities: [], predicted: [], levels: w.levels)
        _ = try none.table(schema, target: target, copyVars: args[copyVars], topProbs: args[topProbs], encode: args[encodeName])
        // the workers' decoded images, charged to this session as one process charges its own
        try ctx.reserve(ImageData.decodedBytes(parts.rowCount, shape), for: "\(parts.rowCount) decoded images of table \(t.name) on the workers")
        let share = ScoreShare(image: column, target: target, levels: w.levels, columns: schema.columns.map(\.name), copyVars: args[copyVars],
                               topProbs: args[topProbs], encode: args[encodeName], batch: batch, threads: TrainingRun.threads(args[nThreads]),
                               precision: precisionValue.rawValue)
        let payload = try ModelPayload.join(share, model: m.table(name: m.modelName), weights: weights, action: "dlScore")
        let kept = try await ctx.keptOnWorkers(t, args[table], DeepLearnKernels.score, args: [:],
                                               payloads: [[UInt8]](repeating: payload, count: parts.blocks.count))
        // every row's label, prediction and probabilities, in the table's order
        var labels: [String?] = [], predicted: [Int] = [], probabilities: [Float] = [], read = 0
        for s in kept.summaries {
            guard let l = s.column("label"), let p = s.column("predicted"), let q = s.column("p"), let n = PartitionKernel.count(s, "read") else {
                throw ActionError(.internalError, "dlScore: a worker's scores are unreadable")
            }
            read += n
            for r in 0..<s.rowCount {
                guard case .varbinary(let cells) = q.data, let bytes = cells[r], bytes.count == 4 * classes else {
                    throw ActionError(.internalError, "dlScore: a worker's probabilities are unreadable")
                }
                labels.append(l.data.value(at: r).stringValue)
                predicted.append(Int(p.data.value(at: r).intValue ?? Int64(Scoring.noPrediction)))
                bytes.withUnsafeBytes { raw in
                    for j in 0..<classes { probabilities.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self)))) }
                }
            }
        }
        let scored = Scoring(samples: ImageSamples(values: [], rows: Array(0..<labels.count), labels: labels, shape: shape),
                             probabilities: probabilities, predicted: predicted, levels: w.levels)
        if scored.samples.count == 0 {
            throw ActionError(.parameterValue, "Table \(t.name) has no rows with an image in \(column) (\(read) rows).", parameter: "table")
        }
        if scored.unscorable > 0 {
            ctx.warning("\(scored.unscorable) of \(scored.samples.count) rows have no prediction (I_\(target) missing): the model's output for them is not a number — its weights diverged in training (lower the learning rate) or hold NaN/infinite values.")
        }
        try ctx.checkCancellation()
        var outputs: [CASTable] = []
        if args.has(casOut) {
            var columns = kept.schema
            columns.name = t.name
            let stored = try await ctx.store(columns, kept: kept.parts, out: args[casOut], defaultName: "\(t.name)_scored")
            ctx.note("Scored \(scored.samples.count) of \(read) rows into table \(stored.name) (on \(parts.blocks.count) workers).")
            outputs.append(stored)
        } else {
            ctx.note("Scored \(scored.samples.count) of \(read) rows on \(parts.blocks.count) workers (no casOut: no table written).")
        }
        ctx.server.trainings.scored(model: m.modelName, user: ctx.user, scored.confusion().map { ConfusionMatrix(levels: scored.levels, counts: $0, table: t.name) },
                                    output: args.has(casOut) ? outputs.first?.name : nil)
        return ["ScoreInfo": .table(scored.info(read: read)), "ClassAccuracy": .table(scored.classAccuracy()),
                "OutputCasTables": .table(.outputCasTables(outputs))]
    }
}

/// What a worker of a distributed dlScore needs besides the model and the weights.
struct ScoreShare: Codable {
    var image: String, target: String, levels: [String]
    /// The reference's columns (after its `vars`): the worker reads only these, as one process does.
    var columns: [String]
    var copyVars: [String], topProbs: Int, encode: Bool
    var batch: Int, threads: Int, precision: String
}

extension DeepLearnKernels {
    /// On a worker: the block's `columns` (the reference's, after its vars, in that order), and the controller's
    /// model with its weights and its input layer.
    static func workerModel(_ block: DataTable, columns: [String], model: DataTable, weights: DataTable,
                            action: String) throws(ActionError) -> (DataTable, Model, InputLayer) {
        var rows = block
        rows.columns = []
        for name in columns {
            guard let c = block.column(name) else { throw ActionError(.internalError, "\(action): no column \(name) on this worker") }
            rows.columns.append(c)
        }
        let m = try ModelTable(model)
        let engine: Model
        do { engine = try Model(layers: try EngineGraph.engineLayers(m, seed: 0), seed: 0) } catch let e as ActionError { throw e } catch {
            throw ActionError(.parameterValue, "Model \(m.modelName) is not valid on this worker: \(error)")
        }
        try WeightsTable(weights, parameter: "initWeights").load(into: engine, parameter: "initWeights")
        guard let input = engine.inputLayer as? InputLayer else { throw ActionError(.parameterValue, "The model has no input layer.", parameter: "modelTable") }
        return (rows, engine, input)
    }

    /// A worker's part of a distributed dlScore: its rows scored with the controller's model and weights; the scored
    /// rows are kept here, the controller gets each one's label, prediction and probabilities (`p`: K float32,
    /// little-endian) and how many rows were read (attribute `read`).
    static let score = PartitionKernel("deepLearn.dlScore.score", keeping: { block, _, context throws(ActionError) in
        let (share, modelTable, weights) = try ModelPayload.split(context.payload, as: ScoreShare.self, action: "dlScore")
        let (rows, engine, input) = try workerModel(block, columns: share.columns, model: modelTable, weights: weights, action: "dlScore")
        if let p = Precision(rawValue: share.precision), p != .fp32 {
            do { try engine.setPrecision(p) } catch { throw ActionError(.parameterValue, "precision=\(p.rawValue): \((error as? EngineError)?.message ?? "\(error)").", parameter: "precision") }
        }
        let samples = try ImageData.read(rows, inputs: share.image, target: share.target, shape: input.shape, requireTarget: false,
                                         reserve: { _, _ in }, window: .of(input, training: nil))
        EngineThreads.set(share.threads)
        var p: (probabilities: [Float], predicted: [Int]) = ([], [])
        do {
            // a block with no image (none matched the where) scores nothing
            if samples.count > 0 { p = try Trainer.predict(engine, data: samples.source(levels: []), batchSize: share.batch) }
        } catch let e as ActionError { throw e } catch {
            throw ActionError(.parameterValue, "Scoring failed: \(error)")
        }
        let scored = Scoring(samples: samples, probabilities: p.probabilities, predicted: p.predicted, levels: share.levels)
        let kept = try scored.table(rows, target: share.target, copyVars: share.copyVars, topProbs: share.topProbs, encode: share.encode)
        let k = share.levels.count
        let cells: [[UInt8]?] = (0..<samples.count).map { n in
            var b = [UInt8]()
            b.reserveCapacity(4 * k)
            for j in 0..<k { withUnsafeBytes(of: scored.p(n, j).bitPattern.littleEndian) { b.append(contentsOf: $0) } }
            return b
        }
        var summary = DataTable(name: "Scores", columns: [
            Column(name: "label", data: .varchar(samples.labels)),
            Column(name: "predicted", data: .int64(scored.predicted.map { Int64($0) })),
            Column(name: "p", data: .varbinary(cells)),
        ])
        summary.attributes["read"] = .int(Int64(rows.rowCount))
        return (kept, summary)
    })
}
