import CASCore
import CASWire

/// `deepLearn.addLayer`: adds (or with replace, replaces) one layer of a model table.
struct AddLayer: Action {
    static let name = "addLayer"
    static let summary = "Adds a layer to a model table: its type and options (layer) and its source layers (srcLayers)."
    static let model = ModelAccess.modelParam()
    static let layerName = P.string("name", "Name of the layer (stored lower-case; names are case-insensitive).")
    static let layer = P.selector("layer", "The layer's type and options.", key: "type", LayerOptions.alternatives)
    static let srcLayers = P.stringList("srcLayers", "Names of the layers feeding this one (none for the input layer).")
    static let replace = P.bool("replace", "Replace an existing layer of the same name (keeps its layer id).", default: false)
    static let parameters = [model.spec, layerName.spec, layer.spec, srcLayers.spec, replace.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        var (m, t) = try await ModelAccess.load(args[model], ctx)
        let name = args[layerName].lowercased()
        guard !name.contains("#") else {
            throw ActionError(.parameterValue, "Layer name '\(name)': '#' is reserved for the parts caslite adds to a layer (`<layer>#dropout`, `<residual>#proj0`, `<output>#softmax`); choose a name without it.",
                              parameter: "name")
        }
        let sources = args[srcLayers].map { $0.lowercased() }
        let spec = try LayerOptions.spec(name: name, layer: args[layer]!, sources: sources)
        try checkSources(spec, m)
        if let i = m.index(of: name) {
            guard args[replace] else {
                throw ActionError(.alreadyExists, "Layer '\(name)' already exists in model \(m.modelName); use replace=True or another name.", parameter: "name")
            }
            m.layers[i] = spec
        } else {
            m.layers.append(spec)
        }
        if let cycle = cycle(in: m) {
            throw ActionError(.parameterValue, "srcLayers would make a cycle: \(cycle.joined(separator: " -> ")).", parameter: "srcLayers")
        }
        try await ModelAccess.save(m, over: t, ctx)
        ctx.note("Layer \(name) (\(spec.kind.rawValue)) is layer \(m.index(of: name)!) of model \(m.modelName).")
        return ["OutputCasTables": .table(.outputCasTables([try await ctx.table(TableRef(name: t.name, caslib: t.caslib))]))]
    }

    static func checkSources(_ s: LayerSpec, _ m: ModelTable) throws(ActionError) {
        if s.kind == .input {
            guard s.sources.isEmpty else { throw ActionError(.parameterValue, "An input layer takes no srcLayers.", parameter: "srcLayers") }
            if let other = m.layers.first(where: { $0.kind == .input && $0.name != s.name }) {
                throw ActionError(.parameterValue, "Model \(m.modelName) already has an input layer ('\(other.name)').", parameter: "layer.type")
            }
            return
        }
        guard !s.sources.isEmpty else {
            throw ActionError(.parameterMissing, "Layer '\(s.name)' needs srcLayers (the layers that feed it).", parameter: "srcLayers")
        }
        for src in s.sources where m.index(of: src) == nil && src != s.name {
            let msg = NearMiss.doesNotExist("Source layer", src, in: "model \(m.modelName)", among: m.layers.map(\.name))
            throw ActionError(.notFound, msg, parameter: "srcLayers")
        }
    }

    /// A cycle through srcLayers, if any (depth-first search).
    static func cycle(in m: ModelTable) -> [String]? {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        let byName = Dictionary(uniqueKeysWithValues: m.layers.map { ($0.name, $0) })
        func visit(_ n: String, _ path: [String]) -> [String]? {
            if state[n] == 2 { return nil }
            if state[n] == 1 { return Array(path.drop { $0 != n }) + [n] }
            state[n] = 1
            for s in byName[n]?.sources ?? [] { if let c = visit(s, path + [n]) { return c } }
            state[n] = 2
            return nil
        }
        for l in m.layers { if let c = visit(l.name, []) { return c } }
        return nil
    }
}
