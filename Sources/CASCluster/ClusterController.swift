import CASCore
import CASWire
import Foundation

/// Rank 0 of `mpirun -np N caslite serve --mpi`: the controller. It alone takes clients; ranks 1…N-1 are workers
/// that hold the rows of the session tables (`TableCluster`). A monitor thread trades a heartbeat with every worker
/// each second; a worker silent for `timeout` seconds, or one whose exchange failed, is down from then on — the
/// call that needed it fails naming it, the others go on, and serverStatus shows the node down. Calls to the workers
/// overlap, each a command and its reply on tags of its own (`Tags.call`); collective runs go one at a time
/// (`collectiveRuns`); a third thread sends the frees of dropped tables (never the monitor: a call waits until the
/// monitor declares a worker lost).
public final class ClusterController: TableCluster, @unchecked Sendable {
    let world: MPIWorld
    let timeout: Double
    private let cores = ProcessInfo.processInfo.activeProcessorCount

    struct Worker {
        let rank: Int
        var host: String = "?"
        var cores: Int = 0
        var lastSeen: Double
        var lost: String?
        var beatIn: MPIWorld.Request?
        var beatOut: MPIWorld.Request?
        var beatSent: Double = 0
    }
    private var workers: [Worker]
    private let state = NSLock()
    /// One collective run at a time: its kernels' all-reduces use MPI_COMM_WORLD, which two runs would mix. Other
    /// calls (stores, reads, partition-local runs) overlap freely: every call has its own tags (`Tags.call`).
    private let collectiveRuns = NSLock()
    private var nextId: UInt64 = 1
    /// The next call's number (`Tags.call`).
    private var nextCall: UInt64 = 0
    private var collectiveActive = false

    public var collectiveRunning: Bool { state.withLock { collectiveActive } }
    /// Ids of tables nobody holds, to free on every worker (by the sweeper, or before the next exchange).
    private var frees: [UInt64] = []
    private var moved = ClusterCounters()

    static func now() -> Double { ProcessInfo.processInfo.systemUptime }

    /// Starts the heartbeats and greets every worker (its host and cores); a worker that does not answer within
    /// `timeout` seconds starts down.
    public init(world: MPIWorld, timeout: Double) throws(ClusterError) {
        self.world = world
        self.timeout = timeout
        let start = Self.now()
        workers = (1..<max(world.size, 1)).map { Worker(rank: $0, lastSeen: start) }
        for i in workers.indices { workers[i].beatIn = try world.expectBeat(from: workers[i].rank) }
        let thread = Thread { [unowned self] in self.watch() }
        thread.name = "caslite.cluster.monitor"
        thread.start()
        let sweeper = Thread { [unowned self] in self.sweep() }
        sweeper.name = "caslite.cluster.frees"
        sweeper.start()
        for w in workers.map(\.rank) {
            guard let reply = try? exchange(w, ClusterMessage(["op": "hello"])) else { continue }
            update(w) {
                $0.host = reply.header["host"]?.stringValue ?? "?"
                $0.cores = Int(reply.header["cores"]?.intValue ?? 0)
            }
        }
    }

    private func update(_ rank: Int, _ body: (inout Worker) -> Void) {
        state.lock()
        defer { state.unlock() }
        if let i = workers.firstIndex(where: { $0.rank == rank }) { body(&workers[i]) }
    }

    /// Why worker `rank` is down, or nil while it is up.
    func lost(_ rank: Int) -> String? {
        state.lock()
        defer { state.unlock() }
        return workers.first { $0.rank == rank }?.lost
    }

    private func markLost(_ rank: Int, _ why: String) {
        update(rank) { w in if w.lost == nil { w.lost = why } }
    }

    /// The ranks of the workers that are up.
    public var liveRanks: [Int] {
        state.lock()
        defer { state.unlock() }
        return workers.filter { $0.lost == nil }.map(\.rank)
    }

    /// The heartbeats, ten times a second: note each worker's beat, send ours every second, and mark a worker down
    /// after `timeout` seconds of silence; free dropped tables' rows when no exchange is running.
    private func watch() {
        while true {
            usleep(100_000)
            let now = Self.now()
            state.lock()
            for i in workers.indices where workers[i].lost == nil {
                do {
                    if let r = workers[i].beatIn, try world.test(r) {
                        world.finished(r)
                        workers[i].lastSeen = now
                        workers[i].beatIn = try world.expectBeat(from: workers[i].rank)
                    }
                    if now - workers[i].beatSent >= 1 {
                        if let r = workers[i].beatOut {
                            if try world.test(r) { world.finished(r); workers[i].beatOut = nil }
                        }
                        if workers[i].beatOut == nil {
                            workers[i].beatOut = try world.beat(to: workers[i].rank)
                            workers[i].beatSent = now
                        }
                    }
                } catch {
                    workers[i].lost = "its heartbeat failed (\(error))"
                }
                if workers[i].lost == nil, now - workers[i].lastSeen > timeout {
                    workers[i].lost = "no heartbeat for \(Int(now - workers[i].lastSeen)) s"
                }
            }
            state.unlock()
        }
    }

    /// Frees dropped tables' rows on the workers once a second. Its own thread: an exchange waits for a worker until
    /// the monitor (`watch`) declares it lost, so the monitor must never wait.
    private func sweep() {
        while true {
            sleep(1)
            flushFrees()
        }
    }

    /// One command to worker `rank` and its reply. Any failure marks the worker down.
    func exchange(_ rank: Int, _ m: ClusterMessage) throws(ClusterError) -> ClusterMessage {
        try receive(rank, call: try send(rank, m))
    }

    /// A command to worker `rank` as a new call: its tag (`Tags.call`) announced on `Tags.command`, then the command
    /// on it; the reply comes on the tag + 1 (`receive`). A failure marks the worker down.
    func send(_ rank: Int, _ m: ClusterMessage, deadline: Double = .infinity) throws(ClusterError) -> Int32 {
        if let why = lost(rank) { throw ClusterError(Self.describe(rank, host(rank), why)) }
        state.lock()
        let tag = Tags.call(nextCall)
        nextCall &+= 1
        state.unlock()
        do throws(ClusterError) {
            let stop = self.stop(rank, deadline)
            try world.sendWord(Int64(tag), to: rank, tag: Tags.command, stop: stop)
            try world.send(m.encoded(), to: rank, tag: tag, stop: stop)
        } catch {
            markLost(rank, error.description)
            throw ClusterError(Self.describe(rank, host(rank), lost(rank) ?? error.description))
        }
        return tag
    }

    /// Worker `rank`'s reply to the call `send` started. A reply that is an error (the worker refused the command:
    /// it stays up) is thrown as `kernelFailure` + its text; any other failure marks the worker down.
    func receive(_ rank: Int, call tag: Int32, deadline: Double = .infinity) throws(ClusterError) -> ClusterMessage {
        let reply: ClusterMessage
        do throws(ClusterError) {
            reply = try ClusterMessage(decoding: world.receive(from: rank, tag: tag + 1, stop: stop(rank, deadline)))
        } catch {
            markLost(rank, error.description)
            throw ClusterError(Self.describe(rank, host(rank), lost(rank) ?? error.description))
        }
        if let e = reply.errorText { throw ClusterError(Self.kernelFailure + e) }
        return reply
    }

    /// When a wait for worker `rank` gives up: it is down, or `deadline` passed.
    private func stop(_ rank: Int, _ deadline: Double) -> () -> String? {
        { [unowned self] in self.lost(rank) ?? (Self.now() > deadline ? "no answer in time" : nil) }
    }

    /// Marks a worker's own refusal (an error reply) in a ClusterError's text.
    static let kernelFailure = "\u{1}refused: "

    static func describe(_ rank: Int, _ host: String, _ why: String) -> String {
        "worker rank \(rank) (\(host)) is down: \(why)"
    }

    func host(_ rank: Int) -> String {
        state.lock()
        defer { state.unlock() }
        return workers.first { $0.rank == rank }?.host ?? "?"
    }

    /// Sends the pending frees to every live worker.
    private func flushFrees() {
        state.lock()
        let ids = frees
        frees = []
        state.unlock()
        guard !ids.isEmpty else { return }
        for w in liveRanks { _ = try? exchange(w, ClusterMessage(["op": "free", "ids": .list(ids.map { .int(Int64(bitPattern: $0)) })])) }
    }

    /// `body`, after sending the frees pending (rows of dropped tables go before new ones come).
    private func serialized<T>(_ body: () throws(ActionError) -> T) throws(ActionError) -> T {
        flushFrees()
        return try body()
    }

    static func actionError(_ e: ClusterError, _ doing: String) -> ActionError {
        ActionError(.internalError, "Could not \(doing): \(e.description.replacingOccurrences(of: kernelFailure, with: "a worker refused: ")). The server is degraded (builtins.serverStatus shows its nodes); "
                    + "tables whose rows were on a lost worker must be loaded again, or the server restarted.")
    }

    // MARK: TableCluster

    public func distribute(_ data: DataTable) throws(ActionError) -> TableParts {
        try serialized { () throws(ActionError) -> TableParts in
            let live = liveRanks
            guard !live.isEmpty else {
                throw ActionError(.internalError, "Could not store table \(data.name): every worker of the server is down (builtins.serverStatus shows its nodes).")
            }
            state.lock()
            let id = nextId
            nextId += 1
            state.unlock()
            let n = data.rowCount
            let per = (n + live.count - 1) / live.count
            var blocks: [(rank: Int, rows: Int)] = []
            for (k, rank) in live.enumerated() {
                let lo = k * per, hi = min(n, lo + per)
                guard lo < hi else { break }
                var part = data
                for i in part.columns.indices { part.columns[i].data = data.columns[i].data.slice(lo..<hi) }
                do throws(ClusterError) {
                    let reply = try exchange(rank, ClusterMessage(["op": "put", "id": .int(Int64(bitPattern: id))], payload: part.binaryEncoded()))
                    guard reply.header["rows"]?.intValue == Int64(hi - lo) else { throw ClusterError("worker rank \(rank) stored a different number of rows") }
                } catch {
                    release(id)
                    throw Self.actionError(error, "store table \(data.name) on the workers")
                }
                blocks.append((rank, hi - lo))
            }
            count { $0.rowsDistributed += n }
            return TableParts(id: id, blocks: blocks, bytes: data.estimatedBytes, cluster: self)
        }
    }

    public func gather(_ parts: TableParts, schema: DataTable, rows wanted: Range<Int>?) throws(ActionError) -> DataTable {
        try serialized { () throws(ActionError) -> DataTable in
            var out = schema
            var start = 0  // the table's row index of this block's first row
            for (rank, blockRows) in parts.blocks {
                defer { start += blockRows }
                // the part of the block inside the wanted rows, relative to the block
                let lo = Swift.max(0, (wanted?.lowerBound ?? 0) - start), hi = Swift.min(blockRows, (wanted?.upperBound ?? Int.max) - start)
                guard lo < hi else { continue }
                let rows = hi - lo
                var command: ValueDict = ["op": "get", "id": .int(Int64(bitPattern: parts.id))]
                if rows != blockRows { command["from"] = .int(Int64(lo)); command["count"] = .int(Int64(rows)) }
                do throws(ClusterError) {
                    let reply = try exchange(rank, ClusterMessage(command))
                    let t: DataTable
                    do { t = try DataTable(binary: reply.payload) } catch { throw ClusterError("worker rank \(rank) sent unreadable rows: \(error)") }
                    guard t.rowCount == rows, t.columns.count == out.columns.count,
                          zip(t.columns, out.columns).allSatisfy({ $0.type == $1.type }) else {
                        throw ClusterError("worker rank \(rank) holds \(t.rowCount) rows of \(t.columns.count) columns, not \(rows) of \(out.columns.count)")
                    }
                    for i in out.columns.indices { out.columns[i].data.append(contentsOf: t.columns[i].data) }
                } catch {
                    throw Self.actionError(error, "read the rows of table \(schema.name) from the workers")
                }
            }
            count { $0.rowsGathered += out.rowCount }
            return out
        }
    }

    /// Sends `message(k)` to the worker of every block k at once, then reads every reply in block order — also after
    /// a failure, so no worker is left answering a call nobody reads — handing each to `read`. The first failure is
    /// thrown after all replies: a worker's refusal (it stays up) as its own message, any other as `doing` failed.
    private func eachBlock(_ parts: TableParts, doing: String, _ message: (Int) -> ClusterMessage,
                           read: (Int, ClusterMessage) throws(ClusterError) -> Void) throws(ActionError) {
        var sent: [(Int, Int32)] = [], failure: ClusterError?
        for (k, (rank, _)) in parts.blocks.enumerated() {
            do throws(ClusterError) { sent.append((rank, try send(rank, message(k)))) } catch { failure = error; break }
        }
        for (rank, call) in sent {
            do throws(ClusterError) { try read(rank, try receive(rank, call: call)) } catch { if failure == nil { failure = error } }
        }
        if let failure {
            if failure.description.hasPrefix(Self.kernelFailure) {
                throw ActionError(.parameterValue, String(failure.description.dropFirst(Self.kernelFailure.count)))
            }
            throw Self.actionError(failure, doing)
        }
        count { $0.partitionRuns += parts.blocks.count }
    }

    public func run(_ kernel: String, args: ValueDict, whereClause: String?, on parts: TableParts, payload: [UInt8]) throws(ActionError) -> [DataTable] {
        try serialized { () throws(ActionError) -> [DataTable] in
            var header: ValueDict = ["op": "run", "id": .int(Int64(bitPattern: parts.id)), "kernel": .string(kernel), "args": .dict(args)]
            if let whereClause { header["where"] = .string(whereClause) }
            var partials: [DataTable] = []
            try eachBlock(parts, doing: "run \(kernel) on the workers", { _ in ClusterMessage(header, payload: payload) }) { rank, reply throws(ClusterError) in
                do { partials.append(try DataTable(binary: reply.payload)) } catch { throw ClusterError("worker rank \(rank) sent an unreadable result: \(error)") }
            }
            return partials
        }
    }

    public func runKeeping(_ kernel: String, args: ValueDict, whereClause: String?, on parts: TableParts,
                           payloads: [[UInt8]]) throws(ActionError) -> KeptRows {
        try serialized { () throws(ActionError) -> KeptRows in
            state.lock()
            let id = nextId
            nextId += 1
            state.unlock()
            var header: ValueDict = ["op": "run", "id": .int(Int64(bitPattern: parts.id)), "kernel": .string(kernel), "args": .dict(args),
                                     "keep": .int(Int64(bitPattern: id))]
            if let whereClause { header["where"] = .string(whereClause) }
            var blocks: [(rank: Int, rows: Int)] = [], bytes = 0, schema: DataTable?, summaries: [DataTable] = []
            do throws(ActionError) {
                try eachBlock(parts, doing: "run \(kernel) on the workers", { k in ClusterMessage(header, payload: k < payloads.count ? payloads[k] : []) }) { rank, reply throws(ClusterError) in
                    guard let rows = reply.header["rows"]?.intValue, rows >= 0, let size = reply.header["bytes"]?.intValue, size >= 0,
                          let two = LengthPrefixed.split(reply.payload, count: 2)?.parts,
                          let columns = try? DataTable(binary: two[0]), let summary = try? DataTable(binary: two[1]) else {
                        throw ClusterError("worker rank \(rank) sent an unreadable result")
                    }
                    if let first = schema {
                        guard columns.columns.count == first.columns.count, zip(columns.columns, first.columns).allSatisfy({ $0.type == $1.type && $0.name == $1.name }) else {
                            throw ClusterError("worker rank \(rank) made other columns than the first block's")
                        }
                    } else {
                        schema = columns
                    }
                    if rows > 0 { blocks.append((rank, Int(rows))) }
                    let (sum, overflow) = bytes.addingReportingOverflow(Int(size))
                    bytes = overflow ? .max : sum   // the budget refuses it
                    summaries.append(summary)
                }
            } catch {
                release(id)   // whatever some workers kept is freed on every worker
                throw error
            }
            guard let schema else { release(id); throw ActionError(.internalError, "\(kernel): the table has no blocks") }
            // the kept rows are a table from here on: when its last holder drops it, every worker frees them
            return KeptRows(parts: TableParts(id: id, blocks: blocks, bytes: bytes, cluster: self), schema: schema, summaries: summaries)
        }
    }

    public func runCollective(_ kernel: String, args: ValueDict, whereClause: String?, on parts: TableParts, schema: DataTable, payload: [UInt8],
                              alongside: (any Collectives) throws(ActionError) -> Void) throws(ActionError) -> [DataTable] {
        collectiveRuns.lock()
        state.withLock { collectiveActive = true }
        defer {
            state.withLock { collectiveActive = false }
            collectiveRuns.unlock()
        }
        return try serialized { () throws(ActionError) -> [DataTable] in
            // MPI_COMM_WORLD's collectives need every rank: one lost worker makes them impossible
            state.lock()
            let down = workers.first { $0.lost != nil }
            let everyone = workers.map(\.rank)
            state.unlock()
            if let down {
                throw ActionError(.internalError, "Could not run \(kernel) on the workers: it needs every worker, and \(Self.describe(down.rank, down.host, down.lost ?? "?")). "
                                  + "Restart the server to train across workers again.")
            }
            var header: ValueDict = ["op": "run", "id": .int(Int64(bitPattern: parts.id)), "kernel": .string(kernel), "args": .dict(args), "collective": true]
            if let whereClause { header["where"] = .string(whereClause) }
            let message = ClusterMessage(header, payload: ClusterMessage.collective(schema: schema, payload: payload))
            var sent: [(Int, Int32)] = [], failure: ClusterError?
            for rank in everyone {
                do throws(ClusterError) { sent.append((rank, try send(rank, message))) } catch { failure = error; break }
            }
            // the workers that got the command wait in the run's first all-reduce: a worker missing from it breaks it
            let collectives = MPICollectives(world: world, stop: { [unowned self] in
                for rank in everyone { if let why = self.lost(rank) { return Self.describe(rank, self.host(rank), why) } }
                return nil
            })
            var local: ActionError?
            if let failure {
                collectives.refuse()
                local = Self.actionError(failure, "start \(kernel) on the workers")
            } else {
                do throws(ActionError) { try alongside(collectives) } catch { local = error }
            }
            if let broken = collectives.broken {
                // the others wait for good in an all-reduce that cannot complete (Open MPI 4.1 cannot repair it)
                for (rank, _) in sent { markLost(rank, "left waiting in an all-reduce that failed (\(broken))") }
                throw ActionError(.internalError, "Could not run \(kernel) on the workers: \(broken). Every worker is now down "
                                  + "(builtins.serverStatus shows its nodes): restart the server to use them again.")
            }
            var partials: [DataTable] = [], refusals: [String] = []
            for (rank, call) in sent {
                do throws(ClusterError) {
                    let reply = try receive(rank, call: call)
                    do { partials.append(try DataTable(binary: reply.payload)) } catch { throw ClusterError("worker rank \(rank) sent an unreadable result: \(error)") }
                } catch {
                    if error.description.hasPrefix(Self.kernelFailure) {
                        refusals.append(String(error.description.dropFirst(Self.kernelFailure.count)))
                    } else if failure == nil {
                        failure = error
                    }
                }
            }
            count { $0.partitionRuns += sent.count }
            // first-hand errors first (a worker's, then the controller's), then those that only say another failed
            let mark = KernelContext.secondhand
            if let own = refusals.first(where: { !$0.hasPrefix(mark) }) { throw ActionError(.parameterValue, own) }
            if var local {
                if local.message.hasPrefix(mark), let other = refusals.first { throw ActionError(.parameterValue, String(other.dropFirst(mark.count))) }
                if local.message.hasPrefix(mark) { local.message.removeFirst(mark.count) }
                throw local
            }
            if let other = refusals.first { throw ActionError(.parameterValue, String(other.dropFirst(mark.count))) }
            if let failure { throw Self.actionError(failure, "run \(kernel) on the workers") }
            return partials
        }
    }

    public func counters() -> ClusterCounters {
        state.lock()
        defer { state.unlock() }
        return moved
    }

    private func count(_ body: (inout ClusterCounters) -> Void) {
        state.lock()
        body(&moved)
        state.unlock()
    }

    public func release(_ id: UInt64) {
        state.lock()
        frees.append(id)
        state.unlock()
    }

    public func nodes() -> [NodeState] {
        state.lock()
        defer { state.unlock() }
        return [NodeState(name: world.host, role: .controller, state: .up, cores: cores)]
            + workers.map { NodeState(name: $0.host, role: .worker, state: $0.lost == nil ? .up : .down, cores: $0.cores) }
    }

    /// Tells every live worker to exit (the server is stopping); waits at most two seconds in all (mpirun's SIGTERM
    /// usually ended them already; a worker that does not answer exits when the controller falls silent).
    public func stop() {
        let deadline = Self.now() + 2
        for w in liveRanks {
            do { _ = try receive(w, call: try send(w, ClusterMessage(["op": "stop"]), deadline: deadline), deadline: deadline) } catch {}
            markLost(w, "stopped")
        }
    }
}
