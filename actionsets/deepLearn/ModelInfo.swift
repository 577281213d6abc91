import CASCore
import CASWire
import DLEngine

/// `deepLearn.modelInfo`: CAS's ModelInfo table plus a per-layer summary (shapes, parameters).
struct ModelInfoAction: Action {
    static let name = "modelInfo"
    static let summary = "Describes a model: layer counts and parameter numbers (ModelInfo), and each layer's output shape (LayerInfo)."
    static let model = ModelAccess.modelParam().aliases("modelTable")
    static let parameters = [model.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (m, _) = try await ModelAccess.load(args[model], ctx)
        let engine = try await ctx.cpu { () throws -> Model in try EngineGraph.model(m, seed: 0, for: .parameters, ctx) }
        let rows: [[Value]] = engine.summary.map { s in
            [.string(s.name), .string(s.kind), .string(s.sources.joined(separator: " ")),
             .string(s.outputShape.map(String.init).joined(separator: "x")), .double(Double(s.parameters))]
        }
        let layers = DataTable.result("LayerInfo", label: "Layers", columns: [("Layer", .varchar), ("Type", .varchar), ("SrcLayers", .varchar),
                                                                            ("OutputShape", .varchar), ("Parameters", .double)], rows: rows)
        return ["ModelInfo": ModelAccess.info(m, engine), "LayerInfo": .table(layers)]
    }
}
