import CASCore
import CASWire

/// `table.dropTable`: removes a table from memory (session scope first, then global).
struct DropTable: Action {
    static let name = "dropTable"
    static let summary = "Drops an in-memory table (the session-scope table if there is one, else the global one)."
    static let tableName = P.string("name", "Table name.").with { $0.isTableName = true }.aliases("table")
    static let caslib = P.caslib()
    static let quiet = P.bool("quiet", "A missing table is not an error.", default: false)
    static let parameters = [tableName.spec, caslib.spec, quiet.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        guard let t = try await ctx.dropTable(args[tableName], in: lib) else {
            if args[quiet] { return ValueDict() }
            throw ActionError.notFound("Table '\(args[tableName])' does not exist in caslib \(lib.name).", parameter: "name")
        }
        ctx.note("caslite dropped table \(t.name) from caslib \(lib.name).")
        return ValueDict()
    }
}
