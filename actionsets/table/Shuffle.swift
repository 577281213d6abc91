import CASCore
import CASWire

/// `table.shuffle`: copies a table (with its where filter and vars applied) into a new table with the
/// rows in random order. DLPy's ImageTable.from_table, copy_table, resize and the splitting helpers call it.
struct Shuffle: Action {
    static let name = "shuffle"
    static let summary = "Writes the rows of a table (after its where filter and vars) to a new table in random order."
    static let table = P.table()
    static let casOut = P.outTable("casOut", "Output table (may be the input table, with replace=True).", required: true)
    static let seed = P.int("seed", "caslite: seed of the order; the same seed and input give the same order.", default: 0)
    static let parameters = [table.spec, casOut.spec, seed.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.filteredTable(args[table])
        var order = Array(0..<t.rowCount)
        var rng = CASRandom(seed: args[seed])  // seeded always: the same call gives the same order
        order.shuffle(using: &rng)
        let out = args[casOut]
        let stored = try await ctx.store(t.data.gather(order), out: out, defaultName: out.name ?? "\(t.name)_SHUFFLED")
        ctx.note("Wrote \(stored.rowCount) rows to table \(stored.name) in caslib \(stored.caslib).")
        return ["caslib": .string(stored.caslib), "tableName": .string(stored.name), "rowsTransferred": .int(Int64(stored.rowCount))]
    }
}
