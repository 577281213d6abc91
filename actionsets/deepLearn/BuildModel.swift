import CASCore
import CASWire

/// `deepLearn.buildModel`: creates an empty model table (layers come from addLayer).
struct BuildModel: Action {
    static let name = "buildModel"
    static let summary = "Creates an empty model table; add layers with addLayer."
    static let model = P.outTable("model", "The model table to create (a string names it).", required: true)
    static let type = P.string("type", "Model type: CNN (image models) or DNN (fully connected only; the same engine). RNN (text, speech) is not supported.",
                               default: "CNN", allowed: ["CNN", "DNN", "RNN"])
    static let parameters = [model.spec, type.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let out = args[model]
        guard args[type] != "RNN" else {
            throw ActionError(.parameterValue, "buildModel type=RNN: recurrent models (text, speech, DLPy's TextClassification and friends) are not supported by caslite; image and fully connected models use type=CNN or DNN.",
                              parameter: "type")
        }
        guard let name = out.name, !name.isEmpty else { throw ActionError(.parameterMissing, "Parameter 'model.name' is required.", parameter: "model.name") }
        let m = ModelTable(modelName: name, layers: [])
        let t = try await ctx.store(m.table(name: name), out: out, defaultName: name, parameter: "model")
        ctx.note("Model table \(t.name) created in caslib \(t.caslib).")
        return ["OutputCasTables": .table(.outputCasTables([t]))]
    }
}
