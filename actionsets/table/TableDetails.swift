import CASCore
import CASWire
import Foundation

/// `table.tableDetails`: how a table is stored, in CAS's `TableDetails` layout. One process keeps a table as one
/// uncompressed in-memory block on one node, so Blocks and Active are 1, nothing is replicated, compressed or
/// memory-mapped; DataSize counts the fixed-width cells (numbers), VardataSize the varchar and varbinary cells'
/// bytes, AllocatedMemory what the memory budget charges for the table. An MPI scale-out server (`serve --mpi`)
/// keeps a session table's rows as one block per worker: level=NODE gives a row per worker holding rows (its
/// share of the sizes in proportion to its rows), SUM the totals with Blocks the number of workers.
struct TableDetails: Action {
    static let name = "tableDetails"
    static let summary = "Shows how a table is stored: blocks, data and variable-length data sizes, memory (one in-memory block on one node)."
    static let scaleOut = ScaleOut.metadata
    static let tableName = P.string("name", "The table.").with { $0.isTableName = true }.aliases("table")
    static let caslib = P.caslib()
    static let level = P.string("level", "SUM: one row for the server; NODE: one row per node holding rows (one process: this one; serve --mpi: each worker).", default: "SUM",
                                allowed: ["SUM", "NODE"])
    static let parameters = [tableName.spec, caslib.spec, level.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.table(TableRef(name: args[tableName], caslib: args[caslib]), parameter: "name", for: .readInfo, rows: false)
        let byNode = args[level].uppercased() == "NODE"
        if let parts = t.parts {
            // sizes from the columns' widths and the bytes the table is charged for, shared out by rows
            let fixedWidth = t.data.columns.reduce(0) { w, c in w + (c.type == .int32 ? 4 : c.type == .double || c.type == .int64 ? 8 : 0) }
            let total = max(parts.rowCount, 1)
            func row(_ node: String, blocks: Int, rows: Int) -> [Value] {
                // in Double: bytes × rows overflows Int for tables of a billion rows
                let fixed = rows * fixedWidth, bytes = Int(Double(parts.bytes) * (Double(rows) / Double(total)))
                return [.string(node), .int(Int64(blocks)), .int(Int64(blocks)), 0, 0, .int(Int64(fixed)), .int(Int64(max(0, bytes - fixed))),
                        0, 0, 0, 0, 0, 0, .int(Int64(blocks)), .int(Int64(bytes)), .int(Int64(rows))]
            }
            let hosts = ctx.server.nodes.all()
            let rows = byNode ? parts.blocks.map { b in row(b.rank < hosts.count ? hosts[b.rank].name : "rank \(b.rank)", blocks: 1, rows: b.rows) }
                              : [row("ALL", blocks: parts.blocks.count, rows: parts.rowCount)]
            return result(t, rows)
        }
        var fixed = 0, variable = 0
        for c in t.data.columns {
            switch c.data {
            case .double(let a): fixed += a.count * 8
            case .int64(let a): fixed += a.count * 8
            case .int32(let a): fixed += a.count * 4
            case .varchar(let a): variable += a.reduce(0) { $0 + ($1?.utf8.count ?? 0) }
            case .varbinary(let a): variable += a.reduce(0) { $0 + ($1?.count ?? 0) }
            }
        }
        let node: Value = byNode ? .string(ProcessInfo.processInfo.hostName) : "ALL"
        let row: [Value] = [node, 1, 1, 0, 0, .int(Int64(fixed)), .int(Int64(variable)), 0, 0, 0, 0, 0, 0, 1, .int(Int64(t.data.estimatedBytes)),
                            .int(Int64(t.rowCount))]
        return result(t, [row])
    }

    static func result(_ t: CASTable, _ rows: [[Value]]) -> ValueDict {
        ["TableDetails": .table(.result("TableDetails", label: "Details for Table \(t.name.uppercased()) in Caslib \(t.caslib)", columns: [
            ("Node", .varchar), ("Blocks", .int64), ("Active", .int64), ("Replicas", .int64), ("IndexSize", .int64), ("DataSize", .int64),
            ("VardataSize", .int64), ("CompressedSize", .int64), ("CompressionRatio", .int64), ("Mapped", .int64), ("MappedMemory", .int64),
            ("Unmapped", .int64), ("UnmappedMemory", .int64), ("Allocated", .int64), ("AllocatedMemory", .int64), ("Rows", .int64),
        ], rows: rows))]
    }
}
