import CASCore
import CASWire

/// `deepLearn.removeLayer`: removes a layer; later layers move up one id (ids stay contiguous).
struct RemoveLayer: Action {
    static let name = "removeLayer"
    static let summary = "Removes a layer from a model table (refused while another layer uses it as a source)."
    static let model = ModelAccess.modelParam()
    static let layerName = P.string("name", "Name of the layer to remove.")
    static let parameters = [model.spec, layerName.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        var (m, t) = try await ModelAccess.load(args[model], ctx)
        let name = args[layerName].lowercased()
        guard let i = m.index(of: name) else {
            throw ActionError(.notFound, NearMiss.doesNotExist("Layer", name, in: "model \(m.modelName)", among: m.layers.map(\.name)), parameter: "name")
        }
        if let user = m.layers.first(where: { $0.sources.contains(name) }) {
            throw ActionError(.parameterValue, "Layer '\(name)' is a source of layer '\(user.name)'; remove or replace that layer first.", parameter: "name")
        }
        m.layers.remove(at: i)
        try await ModelAccess.save(m, over: t, ctx)
        ctx.note("Removed layer \(name) from model \(m.modelName); \(m.layers.count) layers remain.")
        return [:]
    }
}
