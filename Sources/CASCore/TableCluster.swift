import CASWire

/// The workers of an MPI scale-out server (`caslite serve --mpi`, docs/scale-out.md), as CAS code sees them. The
/// controller's table gate spreads every stored table's rows over the live workers (`distribute`) and gathers them
/// back for an action that reads rows (`gather`); CASCore knows nothing of MPI (CASCluster implements this).
public protocol TableCluster: AnyObject, Sendable {
    /// Spreads `data`'s rows over the live workers, one contiguous block of ⌈rows ÷ workers⌉ rows each, in rank order
    /// (gathering concatenates them back in the same order). Blocks the calling thread (call it through `Blocking.run`).
    func distribute(_ data: DataTable) throws(ActionError) -> TableParts
    /// The whole table — or only `rows` of it (0-based, in the stored order) — from the workers holding them, under
    /// `schema`'s metadata. Blocks the calling thread.
    func gather(_ parts: TableParts, schema: DataTable, rows: Range<Int>?) throws(ActionError) -> DataTable
    /// Frees the rows of a table nobody holds any more (from `TableParts`' deinit: must not block).
    func release(_ id: UInt64)
    /// The controller and every worker with its state, the controller first.
    func nodes() -> [NodeState]
    /// Runs `kernel` on every block of `parts` (rows matching `whereClause` only, when given), `payload` sent along
    /// (`KernelContext.payload`): the partials in block order. Blocks the calling thread.
    func run(_ kernel: String, args: ValueDict, whereClause: String?, on parts: TableParts, payload: [UInt8]) throws(ActionError) -> [DataTable]
    /// Runs `kernel` on every worker at once — on its block of `parts` (rows matching `whereClause`), or on no rows
    /// (`schema`'s columns) where it holds none — with `payload` sent along, while `alongside` runs here: the
    /// kernels and `alongside` take part in the same collectives (`Collectives`: data-parallel training). Needs
    /// every worker up. The kernels' results in worker order. Blocks the calling thread.
    func runCollective(_ kernel: String, args: ValueDict, whereClause: String?, on parts: TableParts, schema: DataTable, payload: [UInt8],
                       alongside: (any Collectives) throws(ActionError) -> Void) throws(ActionError) -> [DataTable]
    /// Runs keeping `kernel` (`PartitionKernel(_:keeping:)`) on every block of `parts` (rows matching `whereClause`),
    /// block k's worker with `payloads[k]` (none when `payloads` is shorter), and keeps each block's output on its
    /// worker: a new distributed table, whose rows never pass through here, and the kernels' summaries in block
    /// order. Blocks the calling thread.
    func runKeeping(_ kernel: String, args: ValueDict, whereClause: String?, on parts: TableParts,
                    payloads: [[UInt8]]) throws(ActionError) -> KeptRows
    /// Whether a collective run (a data-parallel training) holds the workers: another waits for it to end.
    var collectiveRunning: Bool { get }
    /// Rows moved and kernels run so far.
    func counters() -> ClusterCounters
}

/// What `TableCluster.runKeeping` made: the rows kept on the workers (`parts`, with `schema`'s columns) and each
/// block's summary for the controller.
public struct KeptRows: Sendable {
    public let parts: TableParts
    public let schema: DataTable
    public let summaries: [DataTable]

    public init(parts: TableParts, schema: DataTable, summaries: [DataTable]) {
        self.parts = parts
        self.schema = schema
        self.summaries = summaries
    }
}

/// Collective operations of the controller and every worker together (MPI_Allreduce on an MPI server): every
/// participant makes the same calls in the same order. The first call of every collective run is an all-reduce
/// of one value, nonzero when a participant cannot start (`refuse()`): a participant that fails before its work
/// starts makes that call instead of leaving the others waiting.
public protocol Collectives: AnyObject {
    /// Sums `values` element-wise over every participant, in place.
    func allReduceSum(_ values: inout [Float]) throws(ActionError)
}

extension Collectives {
    /// Takes part in the run's first all-reduce only, saying this participant cannot start.
    public func refuse() {
        var ready: [Float] = [1]
        try? allReduceSum(&ready)
    }
}

extension KernelContext {
    /// Starts the message of a collective participant's error that only says another participant failed: the
    /// controller reports a first-hand error before it (`TableCluster.runCollective`), without the mark.
    public static let secondhand = "\u{2}"

    /// `error`, marked `secondhand` when `isSecondhand`.
    public static func marked(_ error: ActionError, secondhand isSecondhand: Bool) -> ActionError {
        guard isSecondhand else { return error }
        var e = error
        e.message = secondhand + e.message
        return e
    }
}

/// What a kernel gets besides its block and arguments: the bytes the controller sent along (a model's layers and
/// weights) and, in a collective run (`TableCluster.runCollective`), the collectives it takes part in.
public struct KernelContext {
    /// The worker's MPI rank.
    public let rank: Int
    public let payload: [UInt8]
    public let collectives: (any Collectives)?

    public init(rank: Int, payload: [UInt8] = [], collectives: (any Collectives)? = nil) {
        self.rank = rank
        self.payload = payload
        self.collectives = collectives
    }
}

/// Where the rows of a distributed table live: on which worker (MPI rank) how many, under which id. Held by the
/// controller's `CASTable`; when the last copy of the table value goes (dropped, replaced, session ended), the
/// workers are told to free the rows.
public final class TableParts: Sendable {
    public let id: UInt64
    /// (rank, rows) per worker holding a block, in row order.
    public let blocks: [(rank: Int, rows: Int)]
    /// What the rows take in memory (`DataTable.estimatedBytes` of the whole table): what the budget charges.
    public let bytes: Int
    private let cluster: any TableCluster

    public init(id: UInt64, blocks: [(rank: Int, rows: Int)], bytes: Int, cluster: any TableCluster) {
        self.id = id
        self.blocks = blocks
        self.bytes = bytes
        self.cluster = cluster
    }

    public var rowCount: Int { blocks.reduce(0) { $0 + $1.rows } }

    deinit { cluster.release(id) }
}

extension CASTable {
    /// Rows: the workers' blocks of a distributed table, else the in-memory data's.
    public var rowCount: Int { parts?.rowCount ?? data.rowCount }
    /// What the memory budget charges for the table.
    public var chargedBytes: Int { parts.map { $0.bytes + data.estimatedBytes } ?? data.estimatedBytes }
}

/// Work a worker does on its own block of a distributed table (a partition-local action): it receives the block
/// (with the reference's `where` applied) and the arguments the controller chose, and answers a partial result as a
/// table; the action on the controller combines the partials (`ActionContext.onWorkers`). One list of kernels
/// (`StandardRegistry.partitionKernels`) is given to the workers and named by the actions.
public struct PartitionKernel: Sendable {
    public typealias Keeping = @Sendable (DataTable, ValueDict, KernelContext) throws(ActionError) -> (kept: DataTable, summary: DataTable)
    public let name: String
    public let run: @Sendable (DataTable, ValueDict, KernelContext) throws(ActionError) -> DataTable
    /// A kernel whose output stays on the worker (`TableCluster.runKeeping`): its rows, and a summary for the controller.
    public let keeping: Keeping?

    public init(_ name: String, _ run: @escaping @Sendable (DataTable, ValueDict) throws(ActionError) -> DataTable) {
        self.name = name
        self.run = { block, args, _ throws(ActionError) in try run(block, args) }
        keeping = nil
    }

    /// A kernel that makes a block of a new table, kept on the worker (processImages, dlScore's casOut, a sample):
    /// `run` answers its summary only.
    public init(_ name: String, keeping: @escaping Keeping) {
        self.name = name
        self.keeping = keeping
        self.run = { block, args, context throws(ActionError) in try keeping(block, args, context).summary }
    }

    /// A kernel that reads the payload or takes part in collectives.
    public init(_ name: String, context run: @escaping @Sendable (DataTable, ValueDict, KernelContext) throws(ActionError) -> DataTable) {
        self.name = name
        self.run = run
        keeping = nil
    }
}

/// What the cluster moved and ran since the server started (`/metrics`).
public struct ClusterCounters: Sendable, Equatable {
    /// Rows sent to workers (tables stored) and gathered back from them (actions that read whole tables).
    public var rowsDistributed = 0, rowsGathered = 0
    /// Partition-local kernel runs (one per worker block).
    public var partitionRuns = 0
    public init() {}
}

extension PartitionKernel {
    /// The arguments of a kernel that works on some columns of the block (summary, freq): their names.
    public static func arguments(columns: [Column]) -> ValueDict { ["columns": .list(columns.map { .string($0.name) })] }

    /// The argument that asks a worker to run a kernel once per by-group of its block (`ActionContext.onWorkersByGroup`):
    /// the by-variables' names.
    public static let byGroupsArgument = "_byGroups_"
    /// The column of a by-group reply holding each group's partial (`DataTable.binaryEncoded`).
    public static let partialColumn = "_partial_"

    /// The kernel run on the block as asked: once per by-group when the arguments name by-variables — a row per group,
    /// its by-values then its partial (`partialColumn`) — else once.
    public func answer(_ block: DataTable, _ arguments: ValueDict, _ context: KernelContext) throws(ActionError) -> DataTable {
        guard case .list(let names)? = arguments[Self.byGroupsArgument] else { return try run(block, arguments, context) }
        var inner = arguments
        inner[Self.byGroupsArgument] = nil
        let groups = try ByGroups(block, by: names.compactMap(\.stringValue))
        var out = block.gather(groups.rows.map { $0[0] })
        out.columns = groups.variables.compactMap { out.column($0.name) }
        var partials: [[UInt8]?] = []
        for rows in groups.rows { partials.append(try run(block.gather(rows), inner, context).binaryEncoded()) }
        out.columns.append(Column(name: Self.partialColumn, data: .varbinary(partials)))
        return out
    }

    /// A text argument of a kernel (nil when not given).
    public static func text(_ arguments: ValueDict, _ key: String) -> String? { arguments[key]?.stringValue }

    /// A whole-number argument of a kernel (nil when not given).
    public static func count(_ arguments: ValueDict, _ key: String) -> Int? { arguments[key]?.intValue.map { Int($0) } }

    /// A whole-number attribute a kernel set on its partial result (nil when not there).
    public static func count(_ partial: DataTable, _ key: String) -> Int? { partial.attributes[key]?.intValue.map { Int($0) } }

    /// The block's columns that `arguments(columns:)` named, in that order (`kernel` names the kernel in errors).
    public static func columns(of block: DataTable, _ arguments: ValueDict, kernel: String) throws(ActionError) -> [Column] {
        guard case .list(let names)? = arguments["columns"] else { throw ActionError(.internalError, "\(kernel): no columns named") }
        var out: [Column] = []
        for n in names {
            guard let s = n.stringValue, let c = block.column(s) else { throw ActionError(.internalError, "\(kernel): no column \(n) in the block") }
            out.append(c)
        }
        return out
    }
}

extension PartitionKernel {
    /// The first `count` rows of a block in the order of sort keys given by column name (`table.fetch` with
    /// sortBy on an MPI server, `ActionContext.distributedTop`): the block's rows sorted (stable: ties in stored
    /// order), then cut.
    public static let topRows = PartitionKernel("table.topRows") { block, arguments throws(ActionError) in
        let columns = try PartitionKernel.columns(of: block, arguments, kernel: "table.topRows")
        guard case .list(let flags)? = arguments["descending"], flags.count == columns.count,
              let count = arguments["count"]?.intValue, count >= 0 else { throw ActionError(.internalError, "table.topRows: no sort order or count") }
        var keys: [SortKey] = []
        for (c, d) in zip(columns, flags) {
            guard let i = block.columnIndex(c.name) else { throw ActionError(.internalError, "table.topRows: no column \(c.name)") }
            keys.append(SortKey(column: i, descending: d.boolValue == true))
        }
        return block.gather(Array(block.sortedRows(by: keys).prefix(Int(count))))
    }
}

/// Byte strings joined with each one's length (8 bytes, little-endian) in front: the payloads of collective runs.
public enum LengthPrefixed {
    public static func join(_ parts: [[UInt8]]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(parts.reduce(0) { $0 + 8 + $1.count })
        for part in parts {
            withUnsafeBytes(of: UInt64(part.count).littleEndian) { out.append(contentsOf: $0) }
            out += part
        }
        return out
    }

    /// The first `count` parts of `bytes`, then the rest unsplit; nil when a length runs past the end.
    public static func split(_ bytes: [UInt8], count: Int) -> (parts: [[UInt8]], rest: [UInt8])? {
        var parts: [[UInt8]] = [], at = 0
        while parts.count < count {
            guard bytes.count - at >= 8 else { return nil }
            let n = bytes[at..<(at + 8)].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            at += 8
            guard n <= UInt64(bytes.count - at) else { return nil }
            parts.append(Array(bytes[at..<(at + Int(n))]))
            at += Int(n)
        }
        return (parts, Array(bytes[at...]))
    }
}
