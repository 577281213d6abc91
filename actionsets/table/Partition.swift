import CASCore
import CASWire

/// `table.partition`: copies a table (with its where filter and vars applied) into a new table.
struct Partition: Action {
    static let name = "partition"
    static let summary = "Writes the rows of a table that pass its where filter (and its vars) to a new table."
    static let table = P.table()
    static let casOut = P.outTable("casOut", "Output table.", required: true)
    static let parameters = [table.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let ref = args[table]
        let t = try await ctx.filteredTable(ref)
        let out = args[casOut]
        let stored = try await ctx.store(t.data, out: out, defaultName: out.name ?? "\(t.name)_PART")
        ctx.note("Wrote \(stored.rowCount) rows to table \(stored.name) in caslib \(stored.caslib).")
        return ["caslib": .string(stored.caslib), "tableName": .string(stored.name), "rowsTransferred": .int(Int64(stored.rowCount))]
    }
}
