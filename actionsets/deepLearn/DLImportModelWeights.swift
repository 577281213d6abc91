import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlImportModelWeights`: reads a weights file from a caslib into a weights table.
struct DLImportModelWeights: Action {
    static let name = "dlImportModelWeights"
    static let summary = "Imports weights from a file in a caslib (DLPy/SAS Caffe HDF5, torchvision .pth, or caslite's engine format) into a weights table."
    static let model = ModelAccess.modelParam().aliases("modelTable")
    static let modelWeights = P.outTable("modelWeights", "The weights table to write (default <model>_weights).")
    static let formatType = P.string("formatType", """
        CAFFE: DLPy's/SAS's Caffe HDF5 weights (.caffemodel.h5, one group per Caffe layer under /data), matched to the model's \
        convolution, batch norm and fully connected layers by name (case-insensitive; the output layer may be missing); \
        PYTORCH: a torch.save state dict (RGB-trained: the input channels of the first convolution are reversed, as caslite feeds BGR images); \
        DLEW: dlExportModel's format.
        """, default: "PYTORCH", allowed: ["PYTORCH", "DLEW", "CAFFE"])
    static let weightFilePath = P.string("weightFilePath", "Path of the file, relative to the caslib.")
    static let caslib = P.caslib()
    static let gpuModel = P.bool("gpuModel", "Accepted for DLPy; ignored.", default: false)
    static let parameters = [model.spec, modelWeights.spec, formatType.spec, weightFilePath.spec, caslib.spec, gpuModel.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (m, _) = try await ModelAccess.load(args[model], ctx)
        let lib = try await ctx.caslib(args[caslib])
        let path = try await ctx.path(args[weightFilePath], in: lib, for: .read, parameter: "weightFilePath")
        guard path.isFile else {
            throw ActionError(.notFound, "File \(Names.quote(args[weightFilePath])) does not exist in caslib \(lib.name).", parameter: "weightFilePath")
        }
        // the file and the tensors read from it are in memory together
        try ctx.reserve(path.size &* 2, for: "Reading \(path.display)")
        let data = Data(try await ctx.cpu { try path.read(maxBytes: Int.max) })
        let format = args[formatType], file = args[weightFilePath]
        let result = try await ctx.cpu { () throws -> (WeightsTable, [String]) in
            try format == "CAFFE" ? loadCaffe(data, file: file, m, ctx) : load(data, torch: format == "PYTORCH", m, ctx)
        }
        for n in result.1 { ctx.note(n) }
        let out = args[modelWeights]
        let t = try await ctx.store(result.0.table(name: out.name ?? "\(m.modelName)_weights"), out: out,
                                    defaultName: "\(m.modelName)_weights", parameter: "modelWeights")
        ctx.note("Imported \(result.0.tensors.count) tensors into table \(t.name).")
        return ["OutputCasTables": .table(.outputCasTables([t]))]
    }

    /// Reads the file and checks it against the model. Layers whose tensors have another shape (a head
    /// with another number of classes) are left out with a note; anything else that does not fit is an error.
    static func load(_ data: Data, torch: Bool, _ m: ModelTable, _ ctx: ActionContext) throws(ActionError) -> (WeightsTable, [String]) {
        let engine = try EngineGraph.model(m, seed: 0, for: .parameters, ctx)
        var tensors: [NamedTensor]
        do { tensors = torch ? try TorchStateDict.read(data).tensors : try WeightsFile.decode(data) } catch {
            throw ActionError(.parameterValue, "The weights file cannot be read: \(error)", parameter: "weightFilePath")
        }
        var notes: [String] = [], skip = Set<String>()
        if torch {  // torchvision weights are RGB-trained; caslite's models read BGR (ChannelOrder)
            let first = ChannelOrder.firstConvolutionWeights(of: engine)
            tensors = ChannelOrder.reverseInputChannels(tensors, names: first)
            if tensors.contains(where: { first.contains($0.name) && $0.shape.count == 4 && $0.shape[1] == 3 }) {
                notes.append("Reversed the input channels of \(first.sorted().joined(separator: ", ")): the file's weights are RGB-trained, caslite feeds BGR images.")
            }
        }
        let shapes = Dictionary(engine.exportWeights().map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        let names = engine.layers.map(\.name)
        for t in tensors { if let s = shapes[t.name], s != t.shape { skip.insert(WeightsTable.layer(of: t.name, among: names)) } }
        for l in skip.sorted() { notes.append("Layer \(l) keeps initial weights: its tensors in the file have other shapes (e.g. another number of classes).") }
        let kept = tensors.filter { !skip.contains(WeightsTable.layer(of: $0.name, among: names)) }
        do { try engine.loadWeights(kept, skipLayers: skip) } catch {
            throw ActionError(.parameterValue, "The weights file does not fit model \(m.modelName): \((error as? EngineError)?.message ?? "\(error)")",
                              parameter: "weightFilePath")
        }
        return (WeightsTable(tensors: kept, specs: m, target: nil, levels: []), notes)
    }

    /// DLPy's Caffe HDF5 (DLEngine `CaffeHDF5`): every convolution, batch norm and fully connected layer
    /// needs its group(s); the output layer may be absent from the file or have another number of classes
    /// (it keeps its initial weights, and has no rows in the weights table, so dlTrain initialises it).
    /// Notes list those layers and the groups no layer uses.
    static func loadCaffe(_ data: Data, file: String, _ m: ModelTable, _ ctx: ActionContext) throws(ActionError) -> (WeightsTable, [String]) {
        let engine = try EngineGraph.model(m, seed: 0, for: .parameters, ctx)
        // 1. The datasets' declared shapes (headers only) against the model: a mismatch is refused before
        //    any value is read, and datasets no layer uses are never read.
        var groups = try readCaffe(data, file: file, values: .none)
        var mapped = CaffeHDF5.map(groups, onto: engine)
        var notes: [String] = []
        let heads = CaffeHDF5.outputLayers(of: engine)
        if !mapped.problems.isEmpty && mapped.problems.allSatisfy({ $0.kind == .shape && heads.contains($0.layer) }) {
            let skip = Set(mapped.problems.map(\.layer))
            for l in skip.sorted() {
                notes.append("Layer \(l) keeps initial weights: group \(l) in the file has other shapes (e.g. another number of classes).")
            }
            mapped = CaffeHDF5.map(groups, onto: engine, skipLayers: skip)
        }
        do { try mapped.check() } catch {
            throw ActionError(.parameterValue, "The weights file \(file) (weightFilePath, formatType=CAFFE) does not fit model \(m.modelName): \(message(error))",
                              parameter: "weightFilePath")
        }
        // 2. What the used datasets declare is charged to the memory budget (read, then mapped: twice), then read.
        try ctx.reserve(mapped.declaredBytes &* 2, for: "Reading the weights of \(mapped.usedGroups.count) group(s) of \(file)")
        groups = try readCaffe(data, file: file, values: .groups(mapped.usedGroups))
        mapped = CaffeHDF5.map(groups, onto: engine, skipLayers: Set(mapped.initialLayers))
        do {
            try mapped.check()
            try engine.loadWeights(mapped.tensors, skipLayers: Set(mapped.initialLayers))
        } catch {
            throw ActionError(.parameterValue, "The weights file \(file) (weightFilePath, formatType=CAFFE) does not fit model \(m.modelName): \(message(error))",
                              parameter: "weightFilePath")
        }
        for l in mapped.initialLayers where !notes.contains(where: { $0.hasPrefix("Layer \(l) ") }) {
            notes.append("Layer \(l) keeps initial weights: the file has no group \(l).")
        }
        if !mapped.ignoredGroups.isEmpty {
            notes.append("Ignored \(mapped.ignoredGroups.count) group(s) of the file that no layer of model \(m.modelName) uses: \(mapped.ignoredGroups.joined(separator: ", ")).")
        }
        return (WeightsTable(tensors: mapped.tensors, specs: m, target: nil, levels: []), notes)
    }

    static func readCaffe(_ data: Data, file: String, values: CaffeHDF5.Values) throws(ActionError) -> [CaffeHDF5.Group] {
        do { return try CaffeHDF5.read(data, values: values) } catch {
            throw ActionError(.parameterValue, "The weights file \(file) (weightFilePath, formatType=CAFFE) cannot be read: \(message(error))",
                              parameter: "weightFilePath")
        }
    }

    private static func message(_ error: any Error) -> String { (error as? EngineError)?.message ?? "\(error)" }
}
