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
    static let casOut = P.outTable("casOut", "The scored table; without it only ScoreInfo and ClassAccuracy are returned (as in CAS).")
    static let copyVars = P.stringList("copyVars", "Columns copied from the input table.")
    static let topProbs = P.int("topProbs", "Also write the k most probable levels and their probabilities (_DL_Top<i>Level_, _DL_Top<i>P_).",
                                default: 0, min: 0)
    static let inputs = P.stringList("inputs", "The image column (default _image_).")
    static let encodeName = P.bool("encodeName", "Replace spaces in level names by _ in P_ column names.", default: true)
    static let nThreads = P.int("nThreads", "Engine threads (0: all cores).", default: 0, min: 0)
    static let bufferSize = P.int("bufferSize", "Images per scoring batch.", default: 16, min: 1, max: 65_536)
    static let layerOut = P.outTable("layerOut", "Also write the activations of layers (feature maps) to this table: one row per scored row.")
    static let layers = P.stringList("layers", "The layers layerOut writes (model-table names); every layer that fits layerImageType when omitted.")
        .aliases("layerList")
    static let layerImageType = P.string("layerImageType", "How layerOut writes activations: JPG (a grayscale image per channel "
                                         + "of each spatial layer) or WIDE (a column per value).", default: "JPG", allowed: ["JPG", "WIDE"])
    static let extras = ["randomFlip", "randomCrop", "randomMutation", "displayClassScoreInfo", "gpu", "logLevel", "miniBatchBufSize"]
        .map { Optimizer.accepted($0, .null) }
    static let parameters = [table.spec, modelTable.spec, initWeights.spec, casOut.spec, copyVars.spec, topProbs.spec, inputs.spec,
                             encodeName.spec, nThreads.spec, bufferSize.spec, layerOut.spec, layers.spec, layerImageType.spec] + extras

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (m, _) = try await ModelAccess.load(args[modelTable], ctx, parameter: "modelTable")
        let w = try await ModelAccess.weights(args[initWeights], ctx, parameter: "initWeights")
        let t = try await ctx.filteredTable(args[table])
        let column = args[inputs].first ?? "_image_", target = w.target ?? "_label_", batch = args[bufferSize]
        let threads = args[nThreads] > 0 ? min(args[nThreads], ProcessInfo.processInfo.activeProcessorCount) : ProcessInfo.processInfo.activeProcessorCount
        let wantsLayers = args.has(layerOut)
        let imageType = LayerOut.ImageType(rawValue: args[layerImageType].uppercased()) ?? .jpg
        let (scored, activations) = try await ctx.cpu { () throws -> (Scoring, LayerOut?) in
            let engine = try EngineGraph.model(m, seed: 0, for: .inference(batch: batch), ctx)
            try w.load(into: engine, parameter: "initWeights")
            guard let input = engine.inputLayer as? InputLayer else { throw ActionError(.parameterValue, "The model has no input layer.", parameter: "modelTable") }
            let samples = try ImageData.read(t.data, inputs: column, target: target, shape: input.shape, requireTarget: false)
            var out: LayerOut?
            if wantsLayers {
                let o = try LayerOut(model: m, engine: engine, names: args[layers], type: imageType)
                try ctx.reserve(o.estimatedBytes(rows: samples.count), for: "layerOut of \(samples.count) rows")
                engine.keptActivations = Set(o.selected.map(\.engineName))
                out = o
            }
            EngineThreads.set(threads)
            do {
                let p = try Trainer.predict(engine, data: samples.source(levels: []), batchSize: batch) { n in try out?.append(engine, samples: n) }
                return (Scoring(samples: samples, probabilities: p.probabilities, predicted: p.predicted,
                                levels: levels(w, samples, classes: engine.outputLayer.outputShape.reduce(1, *))), out)
            } catch let e as ActionError { throw e } catch { throw ActionError(.parameterValue, "Scoring failed: \(error)") }
        }
        if scored.samples.count == 0 {
            throw ActionError(.parameterValue, "Table \(t.name) has no rows with an image in \(column) (\(t.rowCount) rows).", parameter: "table")
        }
        // As CAS: without casOut the scores are summarized (ScoreInfo) but no table is written.
        var outputs: [CASTable] = []
        if args.has(casOut) {
            let data = try scored.table(t.data, target: target, copyVars: args[copyVars], topProbs: args[topProbs], encode: args[encodeName])
            let stored = try await ctx.store(data, out: args[casOut], defaultName: "\(t.name)_scored")
            ctx.note("Scored \(scored.samples.count) of \(t.rowCount) rows into table \(stored.name).")
            outputs.append(stored)
        } else {
            ctx.note("Scored \(scored.samples.count) of \(t.rowCount) rows (no casOut: no table written).")
        }
        if let activations {
            let maps = try await ctx.store(activations.table(name: "\(t.name)_layers"), out: args[layerOut], defaultName: "\(t.name)_layers",
                                           parameter: "layerOut")
            ctx.note("Wrote the activations of \(activations.selected.count) layers (\(imageType.rawValue)) into table \(maps.name).")
            outputs.append(maps)
        }
        if let counts = scored.confusion() {  // the web monitor's Training page shows it with the run that trained the model
            ctx.server.trainings.scored(model: m.modelName, user: ctx.user, ConfusionMatrix(levels: scored.levels, counts: counts, table: t.name))
        }
        return ["ScoreInfo": .table(scored.info(read: t.rowCount)), "ClassAccuracy": .table(scored.classAccuracy()),
                "OutputCasTables": .table(.outputCasTables(outputs))]
    }

    /// The class levels: from the weights table (dlTrain writes them), else class indices.
    static func levels(_ w: WeightsTable, _ s: ImageSamples, classes: Int) -> [String] {
        if w.levels.count == classes { return w.levels }
        let seen = Set(s.labels.compactMap { $0 }).sorted()
        return seen.count == classes ? seen : (0..<classes).map(String.init)
    }
}
