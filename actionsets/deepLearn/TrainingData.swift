import CASCore
import CASWire
import DLEngine

/// dlTrain's decoded training (and validation) images with class indices.
struct TrainingData: Sendable {
    var train: any DataSource & Sendable
    var valid: (any DataSource & Sendable)?
    /// Target levels in class-index order (sorted ascending, or descending with targetOrder).
    var levels: [String]

    /// `table`: the training table when the caller already read it (`args[DLTrain.table]`, filtered).
    /// `segmentation`: the model's segmentation output (the targets are mask images, not levels).
    /// `detection`: the model's detection output (the targets are the objects of each row; `specs` the dataSpecs).
    static func load(_ args: Args, _ ctx: ActionContext, engine: Model, table: CASTable? = nil,
                     segmentation: SegmentationMasks? = nil, detection: DetectionTargets? = nil,
                     specs: (image: String?, objects: [String]?) = (nil, nil)) async throws(ActionError) -> TrainingData {
        guard let input = engine.inputLayer as? InputLayer else {
            throw ActionError(.parameterValue, "The model needs an input layer.", parameter: "modelTable")
        }
        let column = specs.image ?? args[DLTrain.inputs].first ?? "_image_", target = args[DLTrain.target], shape = input.shape
        let t: CASTable
        if let table { t = table } else { t = try await ctx.filteredTable(args[DLTrain.table]) }
        if let detection {
            try SegmentationMasks.checkAugmentation(input, detection.layer, what: "its boxes")
            let train = try await decode(t.data, column, nil, shape, ctx, .exact)
            let columns = try detection.columns(t.data, named: specs.objects, parameter: "table")
            let objects = try detection.objects(train, t.data, columns, parameter: "table")
            let levels = try detection.levels(objects, table: t.data, columns, parameter: "table")
            if levels.count < detection.options.classes {
                ctx.note("Detection layer '\(detection.layer)' has \(detection.options.classes) classes; table \(t.name) has \(levels.count) (\(levels.prefix(10).joined(separator: ", "))): the other \(detection.options.classes - levels.count) are never trained.")
            }
            var data = TrainingData(train: try detection.samples(train, objects, table: t.name, levels: levels, parameter: "table", ctx), valid: nil, levels: levels)
            if let validTable = args[DLTrain.validTable] {
                let v = try await ctx.filteredTable(validTable, parameter: "validTable")
                let valid = try await decode(v.data, column, nil, shape, ctx, .exact)
                let vc = try detection.columns(v.data, named: specs.objects, parameter: "validTable")
                data.valid = try detection.samples(valid, try detection.objects(valid, v.data, vc, parameter: "validTable"), table: v.name, levels: levels,
                                                   parameter: "validTable", ctx)
            }
            return data
        }
        guard let out = engine.outputLayer as? SoftmaxCrossEntropyLayer else {
            throw ActionError(.parameterValue, "The model needs a softmax output layer (output, segmentation) or a detection layer at its end.", parameter: "modelTable")
        }
        if let segmentation {
            try SegmentationMasks.checkAugmentation(input, segmentation.layer)
            let train = try await decode(t.data, column, nil, shape, ctx, .exact)
            var data = TrainingData(train: try segmentation.samples(train, t.data, target: target, parameter: "table", ctx), valid: nil,
                                    levels: segmentation.levels)
            if let validTable = args[DLTrain.validTable] {
                let v = try await ctx.filteredTable(validTable, parameter: "validTable")
                let valid = try await decode(v.data, column, nil, shape, ctx, .exact)
                data.valid = try segmentation.samples(valid, v.data, target: target, parameter: "validTable", ctx)
            }
            return data
        }
        if let c = t.data.column(target), c.type == .varbinary {
            throw TrainingData.targetHoldsImages(t, target)
        }
        let train = try await decode(t.data, column, target, shape, ctx,
                                     .of(input, training: UInt64(bitPattern: Int64(args[DLTrain.seed]))))
        guard train.count > 0 else {
            throw noUsableRows(t, column, target)
        }
        var levels = Set(train.labels.compactMap { $0 }).sorted()
        if args[DLTrain.targetOrder] == "DESCENDING" { levels.reverse() }
        guard levels.count == out.classes else {
            throw TrainingData.classMismatch(out.classes, levels, target: target)
        }
        var data = TrainingData(train: train.source(levels: levels), valid: nil, levels: levels)
        if let validTable = args[DLTrain.validTable] {
            let v = try await ctx.filteredTable(validTable, parameter: "validTable")
            let valid = try await decode(v.data, column, target, shape, ctx, .of(input, training: nil))
            if let unknown = valid.labels.compactMap({ $0 }).first(where: { !levels.contains($0) }) {
                throw ActionError(.parameterValue, "validTable \(v.name) has target level '\(unknown)', which the training table does not have.", parameter: "validTable")
            }
            data.valid = valid.count > 0 ? valid.source(levels: levels) : nil
        }
        return data
    }

    /// The number of target levels among the rows dlTrain trains on (an image and a target value): the
    /// n of output layers that have none, as CAS takes it from the data.
    static func levelCount(_ t: CASTable, _ args: Args) throws(ActionError) -> Int {
        let column = args[DLTrain.inputs].first ?? "_image_", target = args[DLTrain.target]
        guard let labels = t.data.column(target) else {
            throw ActionError(.notFound, "Target column '\(target)' does not exist in table \(t.name).", parameter: "target")
        }
        guard labels.type != .varbinary else {
            throw TrainingData.targetHoldsImages(t, target)
        }
        var levels = Set<String>()
        let images = t.data.column(column)
        for r in 0..<t.data.rowCount where !labels.data.isMissing(at: r) && !(images?.data.isMissing(at: r) ?? true) {
            levels.insert(LevelText.text(labels.data.value(at: r)))
        }
        guard !levels.isEmpty else {   // an output of 0 classes would fail later, naming the model instead of the data
            throw noUsableRows(t, column, target)
        }
        return levels.count
    }

    static func targetHoldsImages(_ t: CASTable, _ target: String) -> ActionError {
        ActionError(.parameterValue, "Target column '\(target)' of table \(t.name) holds images (varbinary); an output layer needs a class column. For masks (one class per pixel) end the model with a segmentation layer.",
                    parameter: "target")
    }

    static func classMismatch(_ classes: Int, _ levels: [String], target: String) -> ActionError {
        ActionError(.parameterValue, "The model's output layer has \(classes) classes, but target \(target) has \(levels.count) levels (\(levels.prefix(10).map { $0.count > 40 ? $0.prefix(40) + "…" : $0 }.joined(separator: ", "))); set the output layer's n to \(levels.count).",
                    parameter: "target")
    }

    static func noUsableRows(_ t: CASTable, _ column: String, _ target: String) -> ActionError {
        ActionError(.parameterValue, "Table \(t.name) has no usable rows (an image in \(column) and a value of \(target)); it has \(t.rowCount) rows.",
                    parameter: "table")
    }

    /// `target` nil: every row with an image (segmentation reads its masks afterwards).
    static func decode(_ t: DataTable, _ column: String, _ target: String?, _ shape: [Int], _ ctx: ActionContext,
                       _ window: ImageData.Window) async throws(ActionError) -> ImageSamples {
        do {
            return try await ctx.cpu { () throws -> ImageSamples in
                try ImageData.read(t, inputs: column, target: target, shape: shape, requireTarget: target != nil, ctx: ctx, window: window)
            }
        } catch let e as ActionError { throw e } catch { throw ActionError(.internalError, "\(error)") }
    }
}
