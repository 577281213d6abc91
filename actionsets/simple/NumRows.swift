import CASCore
import CASWire

/// `simple.numRows`: the number of rows (after the where filter); with `table.groupBy`, CAS's by-group
/// layout with a one-cell `NumRows` table per group (and `numrows`, the total).
struct NumRows: Action {
    static let name = "numRows"
    static let summary = "Shows the number of rows in a table (after its where filter)."
    static let scaleOut = ScaleOut.partitionLocal
    static let table = P.table()
    static let parameters = [table.spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let ref = args[table]
        if let t = try await ctx.distributedTable(ref) {
            // an MPI server's table: the controller knows its blocks' rows; with a where, each worker counts its own
            guard ref.whereClause?.contains(where: { !$0.isWhitespace }) == true else { return ["numrows": .int(Int64(t.rowCount))] }
            let counts = try await ctx.onWorkers(t, ref, count, args: [:])
            return ["numrows": .int(counts.reduce(0) { $0 + ($1.columns.first?.data.value(at: 0).intValue ?? 0) })]
        }
        guard !ref.groupBy.isEmpty else { return ["numrows": .int(Int64(try await ctx.filteredTable(ref).rowCount))] }
        if let t = try await ctx.distributedByGroupTable(ref) {
            // by-groups: each worker counts each group of its block
            let (groups, perGroup) = try await ctx.onWorkersByGroup(t, ref, count, args: [:])
            let counts = perGroup.map { $0.reduce(0) { $0 + Int($1.columns.first?.data.value(at: 0).intValue ?? 0) } }
            var out = groups.results(counts.map { n in
                ["NumRows": .table(.result("NumRows", label: "Number of Rows", columns: [("NumRows", .int64)], rows: [[.int(Int64(n))]]))]
            })
            out["numrows"] = .int(Int64(counts.reduce(0, +)))
            return out
        }
        var total = 0
        var out = try await ctx.perByGroup(ref) { t, _ in
            total += t.rowCount
            return ["NumRows": .table(.result("NumRows", label: "Number of Rows", columns: [("NumRows", .int64)], rows: [[.int(Int64(t.rowCount))]]))]
        }
        out["numrows"] = .int(Int64(total))
        return out
    }

    /// The partition-local part (`serve --mpi`): the rows of a worker's block (after the where).
    static let count = PartitionKernel("simple.numRows") { block, _ in
        .result("Count", columns: [("N", .int64)], rows: [[.int(Int64(block.rowCount))]])
    }
}
