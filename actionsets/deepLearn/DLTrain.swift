import ActionSetFCMPAct
import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlTrain`: trains a model table's network on an image table with mini-batch SGD.
struct DLTrain: Action {
    static let name = "dlTrain"
    static let summary = "Trains a model on images (inputs) and their class (target); writes the weights table and returns OptIterHistory."
    static let scaleOut = ScaleOut.dataParallel
    static let table = P.table("table", "The training table.")
    static let validTable = P.optionalTable("validTable", "Validation table, scored after every epoch (ValidLoss, ValidError).")
    static let inputs = P.stringList("inputs", "The image column (default _image_).")
    static let target = P.string("target", "The class column.", default: "_label_")
    static let nominals = P.stringList("nominals", "Nominal columns (the target is always nominal).")
    static let modelTable = ModelAccess.modelParam("modelTable", aliases: ["model"])
    static let initWeights = P.optionalTable("initWeights", "Starting weights; layers without rows keep their random initialisation.")
    static let modelWeights = P.outTable("modelWeights", "The trained weights table (default <model>_weights); may be initWeights itself.")
    static let seed = P.int("seed", "Seed of the weight initialisation and (unless optimizer.seed) of the shuffling.", default: 0)
    static let nThreads = P.int("nThreads", "Engine threads (0: all cores).", default: 0, min: 0)
    static let targetOrder = P.string("targetOrder", "Order of the target levels = class indices.", default: "ASCENDING", allowed: ["ASCENDING", "DESCENDING"])
    static let precision = PrecisionOption.trainingParam()
    static let optimizer = P.group("optimizer", "Optimisation settings.", Optimizer.self)
    static let dataSpecs = P.groupList("dataSpecs", "Which columns feed which layer (DLPy's data_specs): an IMAGE spec for the input layer, an OBJECTDETECTION spec (_nObjects_, then class and four coordinates per object) for a detection layer.",
                                       DataSpecKeys.self)
    static let extras = ["missing", "targetMissing", "repeatWeightTable", "recordSeed", "validFreq", "gpu", "forceEqualPadding"].map { Optimizer.accepted($0, .null) }
    static let parameters = [table.spec, validTable.spec, inputs.spec, target.spec, nominals.spec, modelTable.spec, initWeights.spec,
                             modelWeights.spec, seed.spec, nThreads.spec, optimizer.spec, targetOrder.spec, precision.spec, dataSpecs.spec] + extras

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let precisionValue = try PrecisionOption.parse(args[precision])
        try PrecisionOption.requireSupport(precisionValue)   // before any table is read
        if let done = try await distributed(args, ctx, precision: precisionValue) { return done }
        var (loaded, _) = try await ModelAccess.load(args[modelTable], ctx, parameter: "modelTable")
        let unsized = loaded.outputsWithoutClasses
        var trainingTable: CASTable?   // read here only when the levels size an output layer; once either way
        if !unsized.isEmpty {
            let t = try await ctx.filteredTable(args[table])
            trainingTable = t
            let n = try TrainingData.levelCount(t, args)
            loaded = loaded.withClasses { _ in n }
            ctx.note("Output layer \(unsized.joined(separator: ", ")) has n = \(n), the number of levels of target \(args[target]).")
        }
        let m = loaded
        let seedValue = UInt64(bitPattern: Int64(args[seed]))
        let batch = args[optimizer][Optimizer.miniBatchSize]
        let slabs = Algorithm.sgd(args[optimizer][Optimizer.algorithm], weightDecay: 0).slabs
        let engine = try await ctx.cpu { () throws -> Model in
            let e = try EngineGraph.model(m, seed: seedValue, for: .training(batch: batch, optimizerSlabs: slabs), ctx)
            try PrecisionOption.apply(precisionValue, to: e, ctx)
            return e
        }
        let segmentation = try SegmentationMasks(m, engine), detection = try DetectionTargets(m, engine)
        let specs = try DataSpecKeys.read(args[dataSpecs], m)
        let data = try await TrainingData.load(args, ctx, engine: engine, table: trainingTable, segmentation: segmentation,
                                               detection: detection, specs: specs)
        let fcmp = try await prepare(engine, m, args, ctx)
        let opt = args[optimizer]
        let options = try Optimizer.options(opt, count: data.train.count, dlTrainSeed: args[seed], fcmp: fcmp)
        let outcome = try await TrainingRun(ctx: ctx, logLevel: opt[Optimizer.logLevel], threads: args[nThreads], model: m.modelName)
            .train(engine, data, options)
        let out = args[modelWeights]
        let weights = WeightsTable(model: engine, specs: m, target: detection == nil ? args[target] : "_Object_", levels: data.levels)
        let stored = try await ctx.store(weights.table(name: out.name ?? "\(m.modelName)_weights"), out: OutTableRef(
            name: out.name, caslib: out.caslib, replace: out.replace || isInPlace(args), promote: out.promote), defaultName: "\(m.modelName)_weights",
            parameter: "modelWeights")
        if outcome.stopped {
            ctx.warning("Training stopped early (cancelled) after \(outcome.history.count) complete epochs; table \(stored.name) holds the weights of the last completed mini-batch.")
        }
        return ["OptIterHistory": .table(history(outcome.history, valid: data.valid != nil)),
                "ModelInfo": ModelAccess.info(m, engine), "OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// What dlTrain does to a new engine before training: initWeights loaded, layers frozen; and the FCMP function
    /// of optimizer.algorithm.fcmpLearningRate, when named.
    static func prepare(_ engine: Model, _ m: ModelTable, _ args: Args, _ ctx: ActionContext) async throws(ActionError) -> FCMPFunction? {
        if let initial = args[initWeights] {
            let w = try await ModelAccess.weights(initial, ctx, parameter: "initWeights")
            try w.load(into: engine, parameter: "initWeights")
        }
        try freeze(args, m, engine)
        guard let name = args[optimizer][Optimizer.algorithm][Algorithm.fcmpLearningRate], !name.isEmpty else { return nil }
        let fcmp = try await FCMPFunction.lookup(name, ctx, parameter: "optimizer.algorithm.fcmpLearningRate")
        ctx.note("Learning rate per mini-batch from FCMP function \(fcmp.name)(\(fcmp.arguments.joined(separator: ", "))).")
        return fcmp
    }

    /// DLPy passes the same table as initWeights and modelWeights without replace.
    static func isInPlace(_ args: Args) -> Bool {
        args[initWeights].map { $0.name.lowercased() == (args[modelWeights].name ?? "").lowercased() } ?? false
    }

    static func freeze(_ args: Args, _ m: ModelTable, _ engine: Model) throws(ActionError) {
        let opt = args[optimizer]
        var names = Set(opt[Optimizer.freezeLayers].map { $0.lowercased() })
        if let to = opt[Optimizer.freezeLayersTo]?.lowercased() {
            guard let i = m.index(of: to) else {
                throw ActionError(.notFound, "optimizer.freezeLayersTo: layer '\(to)' does not exist in model \(m.modelName).", parameter: "optimizer.freezeLayersTo")
            }
            names.formUnion(m.layers[...i].map(\.name))
        }
        guard !names.isEmpty else { return }
        if let bad = names.first(where: { m.index(of: $0) == nil }) {
            throw ActionError(.notFound, "optimizer.freezeLayers: layer '\(bad)' does not exist in model \(m.modelName).", parameter: "optimizer.freezeLayers")
        }
        let withParts = names.union(names.map { EngineGraph.softmaxName($0) }).filter { engine.layer(named: $0) != nil }
        do { try engine.setFrozen(withParts) } catch { throw ActionError(.parameterValue, "\(error)", parameter: "optimizer.freezeLayers") }
    }

    /// OptIterHistory: Epoch is 0-based as in CAS.
    static func history(_ h: [HistoryRow], valid: Bool) -> DataTable {
        var cols: [(String, ColumnType)] = [("Epoch", .double), ("LearningRate", .double), ("Loss", .double), ("FitError", .double)]
        if valid { cols += [("ValidLoss", .double), ("ValidError", .double)] }
        return .result("OptIterHistory", label: "Optimization Iteration History", columns: cols, rows: h.map { r in
            var row: [Value] = [.double(Double(r.epoch - 1)), .double(r.learningRate), .double(r.loss), .double(r.error)]
            if valid { row += [r.validLoss.map { .double($0) } ?? .null, r.validError.map { .double($0) } ?? .null] }
            return row
        })
    }
}
