import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlExportModel`: writes a model with its weights as an engine weights file into a caslib
/// (`path=`), or as an analytic store table (`casOut=`, what DLPy's `save_to_astore` asks for and
/// `astore.download` returns as a file; format in `AStore`).
struct DLExportModel: Action {
    static let name = "dlExportModel"
    static let summary = "Writes a model's weights as a file (caslite's engine format, DLEWGT01) into a caslib folder (path=), "
        + "or the model and weights as an analytic store table (casOut=)."
    static let modelTable = ModelAccess.modelParam("modelTable", aliases: ["model"])
    static let initWeights = P.table("initWeights", "The weights table to export.")
    static let path = P.optionalString("path", "File path relative to the caslib, e.g. model.dlew (give path= or casOut=).")
    static let caslib = P.caslib()
    static let replace = P.bool("replace", "Overwrite an existing file of that name (otherwise an existing file is an error).", default: false)
    static let casOut = P.outTable("casOut", "The analytic store table to write (one row: _Key_, _State_); give path= or casOut=.")
    static let extras = ["randomCrop", "randomFlip", "randomMutation", "layers", "layerImageType"].map { Optimizer.accepted($0, .null) }
    static let parameters = [modelTable.spec, initWeights.spec, path.spec, caslib.spec, replace.spec, casOut.spec] + extras

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        guard args[path] != nil || args.has(casOut) else {
            throw ActionError(.parameterMissing, "Give path= (a weights file in a caslib) or casOut= (an analytic store table).", parameter: "path")
        }
        let (model, _) = try await ModelAccess.load(args[modelTable], ctx, parameter: "modelTable")
        let w = try await ModelAccess.weights(args[initWeights], ctx, parameter: "initWeights")
        let m = model.withClasses(from: w)
        var file: CaslibPath?
        var lib: Caslib?
        if let p = args[path] {
            let l = try await ctx.caslib(args[caslib])
            let f = try await ctx.path(p, in: l, for: .write, parameter: "path")
            try f.checkWritable(replace: args[replace])  // refused before any work
            (file, lib) = (f, l)
        }
        let bytes = try await ctx.cpu { () throws -> Data in
            let engine = try EngineGraph.model(m, seed: 0, for: .parameters, ctx)
            try w.load(into: engine, parameter: "initWeights")
            do { return try engine.saveWeights() } catch { throw ActionError(.internalError, "\(error)") }
        }
        var results = ValueDict()
        if let file, let lib, let p = args[path] {
            try file.write([UInt8](bytes), replace: args[replace])
            ctx.note("Wrote \(bytes.count) bytes to \(p) in caslib \(lib.name).")
            results = ["caslib": .string(lib.name), "path": .string(p), "bytes": .int(Int64(bytes.count))]
        }
        if args.has(casOut) {
            let store = AStore.table(model: m, weights: w, name: m.modelName)
            let stored = try await ctx.store(store, out: args[casOut], defaultName: "\(m.modelName)_astore")
            ctx.note("Wrote the analytic store of model \(m.modelName) into table \(stored.name).")
            results["OutputCasTables"] = .table(.outputCasTables([stored]))
        }
        return results
    }
}
