import CASCore
import CASWire
import DLEngine
import Foundation

/// `deepLearn.dlExportModel`: writes a model's weights as an engine weights file into a caslib.
struct DLExportModel: Action {
    static let name = "dlExportModel"
    static let summary = "Writes a weights table as a file (caslite's engine format, DLEWGT01) into a caslib folder."
    static let modelTable = ModelAccess.modelParam("modelTable", aliases: ["model"])
    static let initWeights = P.table("initWeights", "The weights table to export.")
    static let path = P.string("path", "File path relative to the caslib, e.g. model.dlew.")
    static let caslib = P.caslib()
    static let replace = P.bool("replace", "Overwrite an existing file of that name (otherwise an existing file is an error).", default: false)
    static let parameters = [modelTable.spec, initWeights.spec, path.spec, caslib.spec, replace.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (m, _) = try await ModelAccess.load(args[modelTable], ctx, parameter: "modelTable")
        let w = try await ModelAccess.weights(args[initWeights], ctx, parameter: "initWeights")
        let lib = try await ctx.caslib(args[caslib])
        let file = try await ctx.path(args[path], in: lib, for: .write, parameter: "path")
        try file.checkWritable(replace: args[replace])  // refused before any work
        let bytes = try await ctx.cpu { () throws -> Data in
            let engine = try EngineGraph.model(m, seed: 0, for: .parameters, ctx)
            try w.load(into: engine, parameter: "initWeights")
            do { return try engine.saveWeights() } catch { throw ActionError(.internalError, "\(error)") }
        }
        try file.write([UInt8](bytes), replace: args[replace])
        ctx.note("Wrote \(bytes.count) bytes to \(args[path]) in caslib \(lib.name).")
        return ["caslib": .string(lib.name), "path": .string(args[path]), "bytes": .int(Int64(bytes.count))]
    }
}
