import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlImportModelWeights`: reads a weights file from a caslib into a weights table.
struct DLImportModelWeights: Action {
    static let name = "dlImportModelWeights"
    static let summary = "Imports weights from a file in a caslib (torchvision .pth, or caslite's engine format) into a weights table."
    static let model = ModelAccess.modelParam().aliases("modelTable")
    static let modelWeights = P.outTable("modelWeights", "The weights table to write (default <model>_weights).")
    static let formatType = P.string("formatType", "PYTORCH (torch.save state dict), DLEW (dlExportModel's format); CAFFE (HDF5) is not supported yet.",
                                     default: "PYTORCH", allowed: ["PYTORCH", "DLEW", "CAFFE"])
    static let weightFilePath = P.string("weightFilePath", "Path of the file, relative to the caslib.")
    static let caslib = P.caslib()
    static let gpuModel = P.bool("gpuModel", "Accepted for DLPy; ignored.", default: false)
    static let parameters = [model.spec, modelWeights.spec, formatType.spec, weightFilePath.spec, caslib.spec, gpuModel.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        guard args[formatType] != "CAFFE" else {
            throw ActionError(.parameterValue, "formatType=CAFFE (DLPy's HDF5 weights) is not supported yet; convert to a torch .pth state dict.",
                              parameter: "formatType")
        }
        let (m, _) = try await ModelAccess.load(args[model], ctx)
        let lib = try await ctx.caslib(args[caslib])
        let path = try lib.resolve(args[weightFilePath], parameter: "weightFilePath")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ActionError(.notFound, "File '\(args[weightFilePath])' does not exist in caslib \(lib.name).", parameter: "weightFilePath")
        }
        let torch = args[formatType] == "PYTORCH"
        let result = try await ctx.cpu { () throws -> (WeightsTable, [String]) in try load(data, torch: torch, m) }
        for n in result.1 { ctx.note(n) }
        let out = args[modelWeights]
        let t = try await ctx.store(result.0.table(name: out.name ?? "\(m.modelName)_weights"), out: out,
                                    defaultName: "\(m.modelName)_weights", parameter: "modelWeights")
        ctx.note("Imported \(result.0.tensors.count) tensors into table \(t.name).")
        return ["OutputCasTables": ModelAccess.outputTables([t])]
    }

    /// Reads the file and checks it against the model. Layers whose tensors have another shape (a head
    /// with another number of classes) are left out with a note; anything else that does not fit is an error.
    static func load(_ data: Data, torch: Bool, _ m: ModelTable) throws(ActionError) -> (WeightsTable, [String]) {
        let engine = try EngineGraph.model(m, seed: 0)
        let tensors: [NamedTensor]
        do { tensors = torch ? try TorchStateDict.read(data).tensors : try WeightsFile.decode(data) } catch {
            throw ActionError(.parameterValue, "The weights file cannot be read: \(error)", parameter: "weightFilePath")
        }
        var notes: [String] = [], skip = Set<String>()
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
}
