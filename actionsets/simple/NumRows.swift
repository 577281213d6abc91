import CASCore
import CASWire

/// `simple.numRows`: the number of rows (after the where filter).
struct NumRows: Action {
    static let name = "numRows"
    static let summary = "Shows the number of rows in a table (after its where filter)."
    static let table = P.table()
    static let parameters = [table.spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.filteredTable(args[table])
        return ["numrows": .int(Int64(t.rowCount))]
    }
}
