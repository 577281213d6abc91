import CASCore
import CASWire

/// `table.tableExists`: 0 not loaded, 1 session scope, 2 global scope.
struct TableExists: Action {
    static let name = "tableExists"
    static let summary = "Checks whether a table is loaded: exists = 0 (no), 1 (session scope) or 2 (global scope)."
    static let scaleOut = ScaleOut.metadata
    static let tableName = P.string("name", "Table name.").with { $0.isTableName = true }.aliases("table")
    static let caslib = P.caslib()
    static let parameters = [tableName.spec, caslib.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        let key = TableKey(caslib: lib.name, name: args[tableName])
        let exists: Int64
        if await ctx.session.table(key) != nil {
            exists = 1
        } else if let g = await ctx.server.globals.table(key), try await ctx.allowed(.readInfo, on: .table(lib, g)) {
            exists = 2
        } else {
            exists = 0
        }
        return ["exists": .int(exists)]
    }
}
