import CASCore
import CASWire
import DLEngine
import Foundation
import ImageCodec

/// `deepLearn.dlHeatMap`: occlusion heat maps as PNG overlays, in a table and optionally as files.
struct DLHeatMap: Action {
    static let name = "dlHeatMap"
    static let scaleOut = ScaleOut.partitionLocal
    static let summary = "Occlusion heat maps: masks patches over each image, scores them and colours the drop of the true-class probability (PNG overlays)."
    static let table = P.table("table", "Images to explain (the first maxImages rows with an image are used).")
    static let modelTable = ModelAccess.modelParam("modelTable", aliases: ["model"])
    static let initWeights = P.table("initWeights", "The weights table.")
    static let casOut = P.outTable("casOut", "Output table: _id_, _label_, _HeatMap_ (PNG), probabilities and the worst mask.")
    static let maskWidth = P.optionalInt("maskWidth", "Mask width (default width/4).", min: 1)
    static let maskHeight = P.optionalInt("maskHeight", "Mask height (default height/4).", min: 1)
    static let stepSize = P.optionalInt("stepSize", "Mask step (default maskWidth/4).", min: 1)
    static let maxImages = P.int("maxImages", "Most images explained.", default: 10, min: 1)
    static let caslib = P.caslib("caslib", "Caslib of the folder the PNG files are written to (with path).")
    static let path = P.optionalString("path", "Folder (relative to the caslib) for heatmap_<id>.png files; none when omitted.")
    static let replace = P.bool("replace", "Overwrite existing heat map files in the folder (otherwise an existing file is an error).", default: false)
    static let parameters = [table.spec, modelTable.spec, initWeights.spec, casOut.spec, maskWidth.spec, maskHeight.spec, stepSize.spec,
                             maxImages.spec, caslib.spec, path.spec, replace.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (model, _) = try await ModelAccess.load(args[modelTable], ctx, parameter: "modelTable")
        let w = try await ModelAccess.weights(args[initWeights], ctx, parameter: "initWeights")
        let m = model.withClasses(from: w)
        if let seg = m.layers.last(where: { $0.kind == .segmentation }) {
            throw ActionError(.parameterValue, "Model \(m.modelName) ends in segmentation layer '\(seg.name)': occlusion heat maps explain one class per image; score it with dlScore (predicted masks).",
                              parameter: "modelTable")
        }
        if let det = m.layers.last(where: { $0.kind == .detection }) {
            throw ActionError(.parameterValue, "Model \(m.modelName) ends in detection layer '\(det.name)': occlusion heat maps explain one class per image; score it with dlScore (boxes).",
                              parameter: "modelTable")
        }
        let target = w.target ?? "_label_", limit = args[maxImages]
        let folder = try await outputFolder(args, ctx)  // refused before any work
        if let spread = try await ctx.distributedTable(args[table]),
           let rows = try await onWorkers(args, ctx, m, w, spread) {
            return try await finish(args, ctx, m, rows, t: spread, target: target, folder: folder)
        }
        let t = try await ctx.filteredTable(args[table])
        let rows = try await ctx.cpu { () throws -> [HeatMapRow] in
            let engine = try EngineGraph.model(m, seed: 0, for: .inference(batch: HeatMap.batch), ctx)
            try w.load(into: engine, parameter: "initWeights")
            guard let input = engine.inputLayer as? InputLayer else { throw ActionError(.parameterValue, "The model has no input layer.", parameter: "modelTable") }
            let s = try ImageData.read(t.data, inputs: "_image_", target: target, shape: input.shape, requireTarget: false, ctx: ctx, limit: limit,
                                       window: .of(input, training: nil))
            let levels = DLScore.levels(w, s, classes: engine.outputLayer.outputShape.reduce(1, *))
            let (mask, step) = maskAndStep(args, input.shape)
            return try (0..<min(limit, s.count)).map { n in
                try ctx.checkCancellation()
                return try HeatMapRow.make(engine, s, n, levels: levels, mask: mask, step: step, table: t.data)
            }
        }
        return try await finish(args, ctx, m, rows, t: t, target: target, folder: folder)
    }

    /// The heat maps made: their files, the output table, the web monitor's pictures, the NOTE and the results.
    static func finish(_ args: Args, _ ctx: ActionContext, _ m: ModelTable, _ rows: [HeatMapRow], t: CASTable, target: String,
                       folder: CaslibPath?) async throws -> ValueDict {
        let files = try folder?.writeFiles(rows.map { ("heatmap_\(DLEvaluatePictures.safeName($0.id)).png", $0.png) }, replace: args[replace]) ?? []
        let out = args[casOut]
        let stored = try await ctx.store(HeatMapRow.table(rows, target: target), out: out, defaultName: "\(t.name)_heatmaps")
        // kept with the newest training run of the model (the web monitor's Training page)
        ctx.server.trainings.addPictures(rows.map { TrainingPicture(.heatMap, caption: $0.caption, bytes: $0.png) }, user: ctx.user, model: m.modelName)
        ctx.note("Wrote \(rows.count) heat maps to table \(stored.name)\(files.isEmpty ? "" : " and \(files.count) PNG files").")
        return ["HeatMapInfo": .table(HeatMapRow.info(rows, files: files)), "OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// The mask (maskWidth × maskHeight, a quarter of the image by default) and its step (a quarter of the mask's width).
    static func maskAndStep(_ args: Args, _ shape: [Int]) -> (mask: (w: Int, h: Int), step: Int) {
        let mask = (w: args[maskWidth] ?? max(shape[1] / 4, 1), h: args[maskHeight] ?? max(shape[0] / 4, 1))
        return (mask, args[stepSize] ?? max(mask.w / 4, 1))
    }

    /// The folder for the PNG files (approved for writing), or nil without `path`.
    static func outputFolder(_ args: Args, _ ctx: ActionContext) async throws(ActionError) -> CaslibPath? {
        guard let folder = args[path] else { return nil }
        return try await ctx.path(folder, in: try await ctx.caslib(args[caslib]), for: .write, parameter: "path")
    }
}
