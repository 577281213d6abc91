import CASCore
import CASWire

/// `table.deleteSource`: deletes one saved table or one file from a caslib.
struct DeleteSource: Action {
    static let name = "deleteSource"
    static let summary = "Deletes one saved table (or one file) from a caslib's data source; folders are never deleted; in-memory tables are untouched."
    static let source = P.string("source", "Saved table name, or a file path relative to the caslib.")
    static let caslib = P.caslib()
    static let quiet = P.bool("quiet", "A missing source is not an error.", default: false)
    static let parameters = [source.spec, caslib.spec, quiet.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        let name = args[source]
        // checked before anything is deleted: "", ".", "..", folders and escapes are refused
        let file = try await ctx.path(name, in: lib, for: .delete, parameter: "source")
        let saved = try await ctx.savedTables(in: lib, for: .delete, parameter: "source")
        if try await ctx.cpu({ try saved.delete(name) }) {
            ctx.note("caslite deleted the saved table \(name) from caslib \(lib.name).")
            return ValueDict()
        }
        if file.exists {
            try file.delete()
            ctx.note("caslite deleted the file \(file.display).")
            return ValueDict()
        }
        if args[quiet] { return ValueDict() }
        throw ActionError.notFound("There is no saved table or file \(Names.quote(name)) in caslib \(lib.name).", parameter: "source")
    }
}
