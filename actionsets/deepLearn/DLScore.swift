import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlScore`: scores images with a model and its weights.
struct DLScore: Action {
    static let name = "dlScore"
    static let summary = "Scores images: P_<target><level> probabilities and I_<target> (predicted level) per row, ScoreInfo and per-class accuracy."
    static let scaleOut = ScaleOut.outputOnWorkers
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
    static let precision = PrecisionOption.scoringParam()
    static let calibrationTable = P.optionalTable("calibrationTable", "precision=INT8: the images whose activations set the quantization ranges "
                                                  + "(same image column as table).")
    static let calibrationRows = P.optionalInt("calibrationRows", "precision=INT8: how many rows of calibrationTable calibrate (the first "
                                               + "ones; 64 when not given).", min: 1, max: 4096)
    static let extras = ["randomFlip", "randomCrop", "randomMutation", "displayClassScoreInfo", "gpu", "logLevel", "miniBatchBufSize"]
        .map { Optimizer.accepted($0, .null) }
    static let parameters = [table.spec, modelTable.spec, initWeights.spec, casOut.spec, copyVars.spec, topProbs.spec, inputs.spec,
                             encodeName.spec, nThreads.spec, bufferSize.spec, layerOut.spec, layers.spec, layerImageType.spec, precision.spec,
                             calibrationTable.spec, calibrationRows.spec] + extras

    /// Keeps a fresh INT8 calibration with the weights (rows `_int8range_`, replacing older ones), so later
    /// INT8 scoring needs no calibrationTable and a saved weights table carries it. Only a whole table is
    /// rewritten (not one read through where/vars), and only where the caller may write it; otherwise a NOTE.
    static func storeCalibration(_ ranges: [String: ClosedRange<Float>], in w: WeightsTable, _ table: CASTable, ref: TableRef,
                                 _ ctx: ActionContext) async {
        guard ref.whereClause == nil, ref.vars.isEmpty, ref.computedVars.isEmpty else {
            ctx.note("The INT8 calibration was not stored: initWeights was read through where/vars/computedVars.")
            return
        }
        // Written back only if the table is still the one read: a dlTrain (or anything) that replaced it meanwhile wins.
        var current = TableRef(name: table.name)
        current.caslib = table.caslib
        guard let now = try? await ctx.table(current, parameter: "initWeights"), now.modified == table.modified,
              now.data.rowCount == table.data.rowCount else {
            ctx.note("The INT8 calibration was not stored: weights table \(table.name) changed while this call ran; pass calibrationTable again next time.")
            return
        }
        var updated = w
        updated.int8Ranges = ranges
        var data = table.data
        let keep = (0..<data.rowCount).filter { data.column("_Tensor_")?.data.value(at: $0).stringValue != "_int8range_" }
        let extra = updated.table(name: table.name)
        do {
            let rangeRows = (0..<extra.rowCount).filter { extra.column("_Tensor_")?.data.value(at: $0).stringValue == "_int8range_" }
            data = try TableConcatenation.concatenate([data.gather(keep), extra.gather(rangeRows)], parameter: "initWeights")
            data.name = table.name
            try await ctx.store(data, out: OutTableRef(name: table.name, caslib: table.caslib, replace: true, promote: table.isGlobal),
                                defaultName: table.name, parameter: "initWeights", ifModified: table.modified)
            ctx.note("Stored the INT8 calibration (\(ranges.count) convolution ranges) in weights table \(table.name): INT8 scoring with "
                     + "these weights can now omit calibrationTable.")
        } catch {
            ctx.note("The INT8 calibration was not stored in weights table \(table.name) (\(error.message)); pass calibrationTable again next time.")
        }
    }

    /// Records the convolutions' input ranges on the first `rows` images of `source` (INT8 calibration).
    static func calibrate(_ engine: Model, _ source: ArrayDataSource, rows: Int, batch: Int, table: String, _ ctx: ActionContext) throws(ActionError) {
        guard rows > 0 else {
            throw ActionError(.parameterValue, "calibrationTable \(table) has no rows with an image.", parameter: "calibrationTable")
        }
        do {
            try engine.calibrate(batches: (rows + batch - 1) / batch) { i in
                try ctx.checkCancellation()
                let start = i * batch, n = min(batch, rows - start)
                let t = try Tensor(shape: [n] + source.sampleShape)
                source.fill(Array(start..<(start + n))[...], into: t)
                return t
            }
        } catch let e as ActionError where e.code == .cancelled {
            throw e
        } catch {
            throw ActionError(.parameterValue, "Calibration on \(table) failed: \((error as? EngineError)?.message ?? "\(error)")", parameter: "calibrationTable")
        }
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let precisionValue = try PrecisionOption.parse(args[precision])
        try PrecisionOption.requireSupport(precisionValue)   // before any table is read
        let (model, _) = try await ModelAccess.load(args[modelTable], ctx, parameter: "modelTable")
        let weightsRef = args[initWeights]
        let weightsTable = try await ctx.filteredTable(weightsRef, parameter: "initWeights")
        let w = try WeightsTable(weightsTable.data, parameter: "initWeights")
        let m = model.withClasses(from: w)
        let column = args[inputs].first ?? "_image_", target = w.target ?? "_label_", batch = args[bufferSize]
        let threads = TrainingRun.threads(args[nThreads])
        let wantsLayers = args.has(layerOut)
        var calibrationData: DataTable?
        if precisionValue == .int8 {
            if let ref = args[calibrationTable] {
                calibrationData = try await ctx.filteredTable(ref, parameter: "calibrationTable").data
            } else if let problem = w.int8RangeProblem {
                throw ActionError(.parameterValue, "The INT8 calibration stored in weights table \(weightsTable.name) is damaged (\(problem)); "
                                  + "pass calibrationTable to calibrate again.", parameter: "calibrationTable")
            } else if w.int8Ranges.isEmpty {
                throw ActionError(.parameterMissing, "precision=INT8 needs calibrationTable: images that set the quantization ranges "
                                  + "(weights table \(weightsTable.name) holds no calibration yet).", parameter: "calibrationTable")
            }
        } else {
            if args.has(calibrationTable) { ctx.warning("calibrationTable is only used with precision=INT8; ignored.") }
            if args.has(calibrationRows) { ctx.warning("calibrationRows is only used with precision=INT8; ignored.") }
        }
        let perPixel = m.layers.contains { $0.kind == .segmentation || $0.kind == .detection }
        if precisionValue != .int8, !wantsLayers, !perPixel, let spread = try await ctx.distributedTable(args[table]),
           let r = try await scoreOnWorkers(args, ctx, m, w, weightsTable.data, spread, precisionValue) {
            return r
        }
        let t = try await ctx.filteredTable(args[table])
        if m.layers.contains(where: { $0.kind == .segmentation }) {
            return try await segmentation(args, ctx, m, w, t, precisionValue)
        }
        if m.layers.contains(where: { $0.kind == .detection }) {
            return try await detection(args, ctx, m, w, t, precisionValue)
        }
        let calibrationCount = args[calibrationRows] ?? 64, calibration = calibrationData
        let imageType = LayerOut.ImageType(rawValue: args[layerImageType].uppercased()) ?? .jpg
        let (scored, activations, calibrated) = try await ctx.cpu { () throws -> (Scoring, LayerOut?, [String: ClosedRange<Float>]?) in
            let (engine, input) = try classifier(m, w, batch: batch, ctx)
            var calibrated: [String: ClosedRange<Float>]?
            if let calibration {
                let cal = try ImageData.read(calibration, inputs: column, target: nil, shape: input.shape, requireTarget: false, ctx: ctx,
                                             limit: calibrationCount, parameter: "calibrationTable", window: .of(input, training: nil))
                try calibrate(engine, cal.source(levels: []), rows: cal.count, batch: batch, table: calibration.name, ctx)
                calibrated = engine.calibration
            } else if precisionValue == .int8 {
                do { try engine.setCalibration(w.int8Ranges) } catch {
                    throw ActionError(.parameterValue, "The INT8 calibration in \(weightsTable.name) does not fit the model: \((error as? EngineError)?.message ?? "\(error)"); "
                                      + "pass calibrationTable to calibrate again.", parameter: "calibrationTable")
                }
                ctx.note("INT8 ranges from the calibration stored in weights table \(weightsTable.name).")
            }
            if precisionValue == .int8 && engine.quantizedConvolutions.isEmpty {
                // nothing to quantize (every convolution is grouped, the image stem, or fed signed values): say so, store nothing
                ctx.note("No convolution of model \(m.modelName) runs in INT8 (grouped ones, the stem on the image channels and those fed "
                         + "values below zero stay FP32): scoring in FP32.")
                calibrated = nil
            } else {
                try PrecisionOption.apply(precisionValue, to: engine, ctx)
            }
            let samples = try ImageData.read(t.data, inputs: column, target: target, shape: input.shape, requireTarget: false, ctx: ctx,
                                             window: .of(input, training: nil))
            var out: LayerOut?
            if wantsLayers {
                let o = try LayerOut(model: m, engine: engine, names: args[layers], type: imageType)
                try ctx.reserve(o.estimatedBytes(rows: samples.count), for: "layerOut of \(samples.count) rows")
                engine.keptActivations = Set(o.selected.map(\.engineName))
                out = o
            }
            EngineThreads.set(threads)
            let classes = engine.outputLayer.outputShape.reduce(1, *)
            if samples.count == 0 {   // nothing to score: the caller says so
                return (Scoring(samples: samples, probabilities: [], predicted: [], levels: levels(w, samples, classes: classes)), out, calibrated)
            }
            do {
                let p = try Trainer.predict(engine, data: samples.source(levels: []), batchSize: batch) { n in
                    try ctx.checkCancellation()
                    try out?.append(engine, samples: n)
                }
                return (Scoring(samples: samples, probabilities: p.probabilities, predicted: p.predicted,
                                levels: levels(w, samples, classes: classes)), out, calibrated)
            } catch let e as ActionError { throw e } catch { throw ActionError(.parameterValue, "Scoring failed: \(error)") }
        }
        if scored.samples.count == 0 {
            throw ActionError(.parameterValue, "Table \(t.name) has no rows with an image in \(column) (\(t.rowCount) rows).", parameter: "table")
        }
        if scored.unscorable > 0 {
            ctx.warning("\(scored.unscorable) of \(scored.samples.count) rows have no prediction (I_\(target) missing): the model's output for them is not a number — its weights diverged in training (lower the learning rate) or hold NaN/infinite values.")
        }
        if let calibrated { await storeCalibration(calibrated, in: w, weightsTable, ref: weightsRef, ctx) }
        try ctx.checkCancellation()
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
        // the web monitor's Training page shows the matrix with the run that trained the model, and the output table
        // ties a later dlEvaluatePictures of it to that run
        ctx.server.trainings.scored(model: m.modelName, user: ctx.user, scored.confusion().map { ConfusionMatrix(levels: scored.levels, counts: $0, table: t.name) },
                                    output: args.has(casOut) ? outputs.first?.name : nil)
        return ["ScoreInfo": .table(scored.info(read: t.rowCount)), "ClassAccuracy": .table(scored.classAccuracy()),
                "OutputCasTables": .table(.outputCasTables(outputs))]
    }

    /// The model with its weights, ready to classify `batch` images at a time, and its input layer.
    static func classifier(_ m: ModelTable, _ w: WeightsTable, batch: Int, _ ctx: ActionContext) throws(ActionError) -> (Model, InputLayer) {
        let engine = try EngineGraph.model(m, seed: 0, for: .inference(batch: batch), ctx)
        try w.load(into: engine, parameter: "initWeights")
        guard let input = engine.inputLayer as? InputLayer else { throw ActionError(.parameterValue, "The model has no input layer.", parameter: "modelTable") }
        guard engine.outputLayer is SoftmaxCrossEntropyLayer else {
            throw ActionError(.parameterValue, "Model \(m.modelName) has no output layer to score: its last layer '\(engine.outputLayer.name)' is \(engine.outputLayer.kind); add one (type=output, segmentation or detection) with deepLearn.addLayer.",
                              parameter: "modelTable")
        }
        return (engine, input)
    }

    /// dlScore of a segmentation model (SegmentationScore): predicted masks instead of class columns.
    static func segmentation(_ args: Args, _ ctx: ActionContext, _ m: ModelTable, _ w: WeightsTable, _ t: CASTable,
                             _ precisionValue: Precision) async throws -> ValueDict {
        try refuseClassOptions(args, m, precisionValue, kind: "segmentation", writes: "predicted masks")
        let column = args[inputs].first ?? "_image_", target = w.target ?? "labels", batch = args[bufferSize]
        let threads = TrainingRun.threads(args[nThreads])
        let wantsTable = args.has(casOut)
        let scored = try await ctx.cpu { () throws -> SegmentationScore in
            let engine = try EngineGraph.model(m, seed: 0, for: .inference(batch: batch), ctx)
            try w.load(into: engine, parameter: "initWeights")
            try PrecisionOption.apply(precisionValue, to: engine, ctx)
            guard let masks = try SegmentationMasks(m, engine) else {
                throw ActionError(.internalError, "model \(m.modelName) has no segmentation layer")
            }
            if wantsTable { _ = try masks.codes() }   // before any scoring: the masks must be writable
            EngineThreads.set(threads)
            return try SegmentationScore.score(engine, masks, t.data, column: column, target: target, batch: batch, ctx)
        }
        if scored.rows.isEmpty {
            throw ActionError(.parameterValue, "Table \(t.name) has no rows with an image in \(column) (\(t.rowCount) rows).", parameter: "table")
        }
        var outputs: [CASTable] = []
        if args.has(casOut) {
            let spec = m.layers.last { $0.kind == .segmentation }
            let data = try scored.table(t.data, copyVars: args[copyVars], base64: spec?.word("outputimagetype") == "BASE64")
            let stored = try await ctx.store(data, out: args[casOut], defaultName: "\(t.name)_scored")
            ctx.note("Scored \(scored.rows.count) of \(t.rowCount) rows into table \(stored.name) (predicted masks in _DL_PredMask_\(scored.truth.isEmpty ? "" : ", compared with the masks in \(target)")).")
            outputs.append(stored)
        } else {
            ctx.note("Scored \(scored.rows.count) of \(t.rowCount) rows (no casOut: no table written).")
        }
        ctx.server.trainings.scored(model: m.modelName, user: ctx.user,
                                    scored.confusion().map { ConfusionMatrix(levels: scored.masks.levels, counts: $0, table: t.name) },
                                    output: args.has(casOut) ? outputs.first?.name : nil)
        var results: ValueDict = ["ScoreInfo": .table(scored.info(read: t.rowCount)), "OutputCasTables": .table(.outputCasTables(outputs))]
        if !scored.truth.isEmpty { results["SegmentationAccuracy"] = .table(scored.accuracy()) }
        return results
    }

    /// INT8, layerOut and topProbs serve models that classify whole images; a `kind` model (segmentation, detection) refuses them.
    static func refuseClassOptions(_ args: Args, _ m: ModelTable, _ precisionValue: Precision, kind: String, writes: String) throws(ActionError) {
        guard precisionValue != .int8 else {
            throw ActionError(.parameterValue, "precision=INT8 is not supported for model \(m.modelName) (a \(kind) model); use FP32 or BF16.", parameter: "precision")
        }
        for (has, unsupported) in [(args.has(layerOut), "layerOut"), (args[topProbs] > 0, "topProbs")] where has {
            throw ActionError(.parameterValue, "\(unsupported) is not supported for model \(m.modelName) (a \(kind) model: dlScore writes \(writes)).",
                              parameter: unsupported)
        }
    }

    /// dlScore of a detection model (DetectionScore): boxes per image instead of class columns.
    static func detection(_ args: Args, _ ctx: ActionContext, _ m: ModelTable, _ w: WeightsTable, _ t: CASTable,
                          _ precisionValue: Precision) async throws -> ValueDict {
        try refuseClassOptions(args, m, precisionValue, kind: "detection", writes: "boxes")
        let column = args[inputs].first ?? "_image_", batch = args[bufferSize]
        let threads = TrainingRun.threads(args[nThreads])
        let scored = try await ctx.cpu { () throws -> DetectionScore in
            let engine = try EngineGraph.model(m, seed: 0, for: .inference(batch: batch), ctx)
            try w.load(into: engine, parameter: "initWeights")
            try PrecisionOption.apply(precisionValue, to: engine, ctx)
            guard let targets = try DetectionTargets(m, engine) else { throw ActionError(.internalError, "model \(m.modelName) has no detection layer") }
            EngineThreads.set(threads)
            return try DetectionScore.score(engine, targets, t.data, column: column, levels: w.levels, batch: batch, ctx)
        }
        if scored.rows.isEmpty {
            throw ActionError(.parameterValue, "Table \(t.name) has no rows with an image in \(column) (\(t.rowCount) rows).", parameter: "table")
        }
        var outputs: [CASTable] = []
        let total = scored.found.map(\.count).reduce(0, +)
        if args.has(casOut) {
            let stored = try await ctx.store(try scored.table(t.data, copyVars: args[copyVars]), out: args[casOut], defaultName: "\(t.name)_scored")
            ctx.note("Scored \(scored.rows.count) of \(t.rowCount) rows into table \(stored.name): \(total) objects detected (threshold \(Fixed.text(Double(scored.targets.threshold), 3)), non-maximum suppression at IoU \(Fixed.text(Double(scored.targets.iouThreshold), 3))).")
            outputs.append(stored)
        } else {
            ctx.note("Scored \(scored.rows.count) of \(t.rowCount) rows (no casOut: no table written): \(total) objects detected.")
        }
        return ["ScoreInfo": .table(scored.info(read: t.rowCount)), "OutputCasTables": .table(.outputCasTables(outputs))]
    }

    /// The class levels: from the weights table (dlTrain writes them), else class indices.
    static func levels(_ w: WeightsTable, _ s: ImageSamples, classes: Int) -> [String] {
        if w.levels.count == classes { return w.levels }
        let seen = Set(s.labels.compactMap { $0 }).sorted()
        return seen.count == classes ? seen : (0..<classes).map(String.init)
    }
}
