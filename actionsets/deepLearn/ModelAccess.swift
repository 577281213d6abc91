import CASCore
import CASWire
import DLEngine

/// Reading and writing model and weights tables, shared by the actions.
enum ModelAccess {
    /// A model-table parameter (`model` in addLayer; `modelTable`, alias `model`, in dlTrain/dlScore).
    static func modelParam(_ name: String = "model", aliases: [String] = []) -> Param<TableRef> {
        P.table(name, "The model table (built by buildModel/addLayer).").with { $0.aliases = aliases }
    }

    static func load(_ ref: TableRef, _ ctx: ActionContext, parameter: String = "model") async throws(ActionError) -> (ModelTable, CASTable) {
        let t = try await ctx.table(ref, parameter: parameter)
        return (try ModelTable(t.data), t)
    }

    /// Replaces the model table in place (same name and caslib).
    static func save(_ m: ModelTable, over t: CASTable, _ ctx: ActionContext) async throws(ActionError) {
        let out = OutTableRef(name: t.name, caslib: t.caslib, replace: true)
        try await ctx.store(m.table(name: t.name), out: out, defaultName: t.name, parameter: "model")
    }

    static func weights(_ ref: TableRef, _ ctx: ActionContext, parameter: String) async throws(ActionError) -> WeightsTable {
        let t = try await ctx.filteredTable(ref, parameter: parameter)
        return try WeightsTable(t.data, parameter: parameter)
    }

    /// CAS's `ModelInfo` table (Descr, Value).
    static func info(_ m: ModelTable, _ model: Model) -> Value {
        func count(_ k: LayerKind) -> String { String(m.layers.filter { $0.kind == k }.count) }
        var weights = 0, biases = 0
        for l in model.layers { for b in l.parameters { if b.name == "bias" { biases += b.value.count } else { weights += b.value.count } } }
        let rows: [(String, String)] = [
            ("Model Name", m.modelName), ("Model Type", ModelTable.modelTypeLabel), ("Number of Layers", String(m.layers.count)),
            ("Number of Input Layers", count(.input)), ("Number of Output Layers", String(m.layers.filter { [.output, .segmentation, .detection].contains($0.kind) }.count)),
            ("Number of Convolutional Layers", count(.convolution)), ("Number of Pooling Layers", count(.pooling)),
            ("Number of Fully Connected Layers", count(.fc)), ("Number of Batch Normalization Layers", count(.batchnorm)),
            ("Number of Residual Layers", count(.residual)), ("Number of Weight Parameters", String(weights)),
            ("Number of Bias Parameters", String(biases)), ("Total Number of Model Parameters", String(weights + biases)),
        ]
        return .table(.result("ModelInfo", label: "Model Information", columns: [("Descr", .varchar), ("Value", .varchar)],
                              rows: rows.map { [.string($0.0), .string($0.1)] }))
    }
}
