import CASCore
import CASStorage
import CASWire
import Foundation

/// `table.deleteSource`: deletes a saved table or a file from a caslib.
struct DeleteSource: Action {
    static let name = "deleteSource"
    static let summary = "Deletes a saved table (or a file) from a caslib's data source; in-memory tables are untouched."
    static let source = P.string("source", "Saved table name, or a file path relative to the caslib.")
    static let caslib = P.caslib()
    static let quiet = P.bool("quiet", "A missing source is not an error.", default: false)
    static let parameters = [source.spec, caslib.spec, quiet.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        if lib.scope == .global { try await ctx.require(.drop, caslib: lib, parameter: "caslib") }
        let path = lib.databasePath, libName = lib.name, name = args[source]
        let deleted: Bool
        do {
            deleted = try await ctx.cpu {
                FileManager.default.fileExists(atPath: path) ? try TableStore.delete(caslib: libName, name: name, in: try SQLiteDatabase(path: path)) : false
            }
        } catch let e as StorageError {
            throw ActionError(.badInput, e.message)
        }
        if deleted {
            ctx.note("caslite deleted the saved table \(name) from caslib \(libName).")
            return ValueDict()
        }
        let file = try lib.resolve(name, parameter: "source")
        if FileManager.default.fileExists(atPath: file), !file.hasSuffix("/.caslite.sqlite") {
            try FileManager.default.removeItem(atPath: file)
            ctx.note("caslite deleted the file \(name) from caslib \(libName).")
            return ValueDict()
        }
        if args[quiet] { return ValueDict() }
        throw ActionError.notFound("There is no saved table or file '\(name)' in caslib \(libName).", parameter: "source")
    }
}
