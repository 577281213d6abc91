import CASCore
import CASWire
import Foundation

/// `table.tableDetails`: how a table is stored, in CAS's `TableDetails` layout. caslite keeps a table
/// as one uncompressed in-memory block on one node, so Blocks and Active are 1, nothing is replicated,
/// compressed or memory-mapped; DataSize counts the fixed-width cells (numbers), VardataSize the
/// varchar and varbinary cells' bytes, AllocatedMemory what the memory budget charges for the table.
struct TableDetails: Action {
    static let name = "tableDetails"
    static let summary = "Shows how a table is stored: blocks, data and variable-length data sizes, memory (one in-memory block on one node)."
    static let tableName = P.string("name", "The table.").with { $0.isTableName = true }.aliases("table")
    static let caslib = P.caslib()
    static let level = P.string("level", "SUM: one row for the server; NODE: one row per node (caslite has one).", default: "SUM",
                                allowed: ["SUM", "NODE"])
    static let parameters = [tableName.spec, caslib.spec, level.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.table(TableRef(name: args[tableName], caslib: args[caslib]), parameter: "name", for: .readInfo)
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
        let node: Value = args[level].uppercased() == "NODE" ? .string(ProcessInfo.processInfo.hostName) : "ALL"
        let row: [Value] = [node, 1, 1, 0, 0, .int(Int64(fixed)), .int(Int64(variable)), 0, 0, 0, 0, 0, 0, 1, .int(Int64(t.data.estimatedBytes)),
                            .int(Int64(t.rowCount))]
        return ["TableDetails": .table(.result("TableDetails", label: "Details for Table \(t.name.uppercased()) in Caslib \(t.caslib)", columns: [
            ("Node", .varchar), ("Blocks", .int64), ("Active", .int64), ("Replicas", .int64), ("IndexSize", .int64), ("DataSize", .int64),
            ("VardataSize", .int64), ("CompressedSize", .int64), ("CompressionRatio", .int64), ("Mapped", .int64), ("MappedMemory", .int64),
            ("Unmapped", .int64), ("UnmappedMemory", .int64), ("Allocated", .int64), ("AllocatedMemory", .int64), ("Rows", .int64),
        ], rows: [row]))]
    }
}
