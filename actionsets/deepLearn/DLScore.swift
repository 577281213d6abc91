import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlScore`: scores images with a model and its weights.
struct DLScore: Action {
    static let name = "dlScore"
    static let summary = "Scores images: P_<target><level> probabilities and I_<target> (predicted level) per row, ScoreInfo and per-class accuracy."
    static let table = P.table("table", "The table to score.")
    static let modelTable = ModelAccess.modelParam("modelTable", aliases: ["model"])
    static let initWeights = P.table("initWeights", "The weights table (from dlTrain or dlImportModelWeights).")
    static let casOut = P.outTable("casOut", "The scored table (default <table>_scored).")
    static let copyVars = P.stringList("copyVars", "Columns copied from the input table.")
    static let topProbs = P.int("topProbs", "Also write the k most probable levels and their probabilities (_DL_Top<i>Level_, _DL_Top<i>P_).",
                                default: 0, min: 0)
    static let inputs = P.stringList("inputs", "The image column (default _image_).")
    static let encodeName = P.bool("encodeName", "Replace spaces in level names by _ in P_ column names.", default: true)
    static let nThreads = P.int("nThreads", "Engine threads (0: all cores).", default: 0, min: 0)
    static let bufferSize = P.int("bufferSize", "Images per scoring batch.", default: 16, min: 1, max: 65_536)
    static let extras = ["layerImageType", "randomFlip", "randomCrop", "randomMutation", "displayClassScoreInfo", "gpu", "logLevel", "miniBatchBufSize"]
        .map { Optimizer.accepted($0, .null) }
    static let parameters = [table.spec, modelTable.spec, initWeights.spec, casOut.spec, copyVars.spec, topProbs.spec, inputs.spec,
                             encodeName.spec, nThreads.spec, bufferSize.spec] + extras

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (m, _) = try await ModelAccess.load(args[modelTable], ctx, parameter: "modelTable")
        let w = try await ModelAccess.weights(args[initWeights], ctx, parameter: "initWeights")
        let t = try await ctx.filteredTable(args[table])
        let column = args[inputs].first ?? "_image_", target = w.target ?? "_label_", batch = args[bufferSize]
        let threads = args[nThreads] > 0 ? min(args[nThreads], ProcessInfo.processInfo.activeProcessorCount) : ProcessInfo.processInfo.activeProcessorCount
        let scored = try await ctx.cpu { () throws -> Scoring in
            let engine = try EngineGraph.model(m, seed: 0, for: .inference(batch: batch), ctx)
            try w.load(into: engine, parameter: "initWeights")
            guard let input = engine.inputLayer as? InputLayer else { throw ActionError(.parameterValue, "The model has no input layer.", parameter: "modelTable") }
            let samples = try ImageData.read(t.data, inputs: column, target: target, shape: input.shape, requireTarget: false)
            EngineThreads.set(threads)
            do {
                let p = try Trainer.predict(engine, data: samples.source(levels: []), batchSize: batch)
                return Scoring(samples: samples, probabilities: p.probabilities, predicted: p.predicted,
                               levels: levels(w, samples, classes: engine.outputLayer.outputShape.reduce(1, *)))
            } catch { throw ActionError(.parameterValue, "Scoring failed: \(error)") }
        }
        if scored.samples.count == 0 {
            throw ActionError(.parameterValue, "Table \(t.name) has no rows with an image in \(column) (\(t.rowCount) rows).", parameter: "table")
        }
        let out = args[casOut]
        let data = try scored.table(t.data, target: target, copyVars: args[copyVars], topProbs: args[topProbs], encode: args[encodeName])
        let stored = try await ctx.store(data, out: out, defaultName: "\(t.name)_scored")
        ctx.note("Scored \(scored.samples.count) of \(t.rowCount) rows into table \(stored.name).")
        return ["ScoreInfo": .table(scored.info(read: t.rowCount)), "ClassAccuracy": .table(scored.classAccuracy()),
                "OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// The class levels: from the weights table (dlTrain writes them), else class indices.
    static func levels(_ w: WeightsTable, _ s: ImageSamples, classes: Int) -> [String] {
        if w.levels.count == classes { return w.levels }
        let seen = Set(s.labels.compactMap { $0 }).sorted()
        return seen.count == classes ? seen : (0..<classes).map(String.init)
    }
}
