import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlHeatMap` on a distributed table (`serve --mpi`): the first maxImages rows with an image are explained
/// where they are. The workers count their rows and images (`DeepLearnKernels.heatMapCensus`); each worker then
/// explains its share of the first maxImages images — block after block, as one process takes them — with the
/// controller's model and weights (`DeepLearnKernels.heatMaps`), and sends only the heat maps back.
extension DLHeatMap {
    /// Nil when the weights do not name the model's levels (one process names them from the labels it reads).
    static func onWorkers(_ args: Args, _ ctx: ActionContext, _ m: ModelTable, _ w: WeightsTable,
                          _ t: CASTable) async throws -> [HeatMapRow]? {
        let target = w.target ?? "_label_"
        let (shape, classes) = try await ctx.cpu { () throws -> ([Int], Int) in
            let engine = try EngineGraph.model(m, seed: 0, for: .inference(batch: HeatMap.batch), ctx)
            try w.load(into: engine, parameter: "initWeights")
            guard let input = engine.inputLayer as? InputLayer else { throw ActionError(.parameterValue, "The model has no input layer.", parameter: "modelTable") }
            _ = try ImageData.read(t.data, inputs: "_image_", target: target, shape: input.shape, requireTarget: false, ctx: ctx)
            return (input.shape, engine.outputLayer.outputShape.reduce(1, *))
        }
        guard w.levels.count == classes else { return nil }
        // rows and images per block, then each block's share of the first maxImages images
        let census = try await ctx.onWorkers(t, args[table], DeepLearnKernels.heatMapCensus, args: [:])
        var quotas: ValueDict = [:], offsets: ValueDict = [:], left = args[maxImages], before = 0
        for (block, c) in zip(t.parts?.blocks ?? [], census) {
            guard c.rowCount == 1, let rows = c.columns[0].data.value(at: 0).intValue, let images = c.columns[1].data.value(at: 0).intValue else {
                throw ActionError(.internalError, "dlHeatMap: a worker's census is unreadable")
            }
            quotas[String(block.rank)] = .int(Int64(min(left, Int(images))))
            offsets[String(block.rank)] = .int(Int64(before))
            left -= min(left, Int(images))
            before += Int(rows)
        }
        let (mask, step) = maskAndStep(args, shape)
        let share = HeatMapShare(target: target, levels: w.levels, columns: t.data.columns.map(\.name), mask: [mask.w, mask.h], step: step)
        let payload = try ModelPayload.join(share, model: m.table(name: m.modelName), weights: w.table(name: "weights"), action: "dlHeatMap")
        try ctx.reserve(ImageData.decodedBytes(args[maxImages] - left, shape), for: "the images explained on the workers")
        let parts = try await ctx.onWorkers(t, args[table], DeepLearnKernels.heatMaps, args: ["quota": .dict(quotas), "firstRow": .dict(offsets)],
                                            payload: payload)
        var rows: [HeatMapRow] = []
        for p in parts { rows += try HeatMapRow.rows(p, mask: mask) }
        return rows
    }
}

/// What a worker of a distributed dlHeatMap needs besides the model and its weights.
struct HeatMapShare: Codable {
    var target: String, levels: [String]
    /// The reference's columns (after its `vars`): the worker reads only these, as one process does.
    var columns: [String]
    var mask: [Int], step: Int
}

extension DeepLearnKernels {
    /// A block's rows and its rows with an image (`_image_` not missing): Rows, Images.
    static let heatMapCensus = PartitionKernel("deepLearn.dlHeatMap.census") { block, _ throws(ActionError) in
        let images = block.column("_image_").map { c in (0..<block.rowCount).filter { !c.data.isMissing(at: $0) }.count } ?? 0
        return .result("Census", columns: [("Rows", .int64), ("Images", .int64)], rows: [[.int(Int64(block.rowCount)), .int(Int64(images))]])
    }

    /// A worker's share of dlHeatMap: its first `quota[rank]` images explained (`HeatMapRow.table`); `firstRow[rank]`
    /// numbers its rows in the whole table's order.
    static let heatMaps = PartitionKernel("deepLearn.dlHeatMap.explain", context: { block, arguments, context throws(ActionError) in
        guard case .dict(let quotas)? = arguments["quota"], case .dict(let offsets)? = arguments["firstRow"],
              let quota = quotas[String(context.rank)]?.intValue.map(Int.init), let firstRow = offsets[String(context.rank)]?.intValue.map(Int.init) else {
            throw ActionError(.internalError, "dlHeatMap: no share for rank \(context.rank)")
        }
        let (share, modelTable, weights) = try ModelPayload.split(context.payload, as: HeatMapShare.self, action: "dlHeatMap")
        guard quota > 0 else { return HeatMapRow.table([], target: share.target) }
        guard share.mask.count == 2 else { throw ActionError(.internalError, "dlHeatMap: no mask size") }
        let (rows, engine, input) = try workerModel(block, columns: share.columns, model: modelTable, weights: weights, action: "dlHeatMap")
        let s = try ImageData.read(rows, inputs: "_image_", target: share.target, shape: input.shape, requireTarget: false, reserve: { _, _ in },
                                   limit: quota, window: .of(input, training: nil))
        do {
            let made = try (0..<min(quota, s.count)).map { n in
                try HeatMapRow.make(engine, s, n, levels: share.levels, mask: (share.mask[0], share.mask[1]), step: share.step, table: rows, firstRow: firstRow)
            }
            return HeatMapRow.table(made, target: share.target)
        } catch let e as ActionError { throw e } catch {
            throw ActionError(.parameterValue, "dlHeatMap: \(error)")
        }
    })
}
