import CASCore
import CASWire
import Foundation

/// Ranks 1…N-1 of `mpirun -np N caslite serve --mpi`: a worker. It holds blocks of the controller's tables and
/// answers the controller's commands, each call on a thread of its own: `hello` (host, cores), `put` (store a block), `get` (send it
/// back), `run` (a partition-local kernel on a block; with `keep`, its output kept as a new block), `free`, `stop`. It trades heartbeats with the controller every second and exits when the controller has
/// been silent for `timeout` seconds (the controller died: nobody will ever free its rows).
public enum ClusterWorker {
    public static func run(world: MPIWorld, timeout: Double, kernels: [PartitionKernel]) -> Never {
        let kernels = Dictionary(kernels.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let log: @Sendable (String) -> Void = { text in FileHandle.standardError.write(Data("caslite worker rank \(world.rank) (\(world.host)): \(text)\n".utf8)) }
        let beats = Thread { heartbeat(world, timeout: timeout, log: log) }
        beats.name = "caslite.worker.beats"
        beats.start()
        let blocks = Blocks()
        // every call on a thread of its own: a long kernel run does not hold up other calls (stores, reads, frees)
        while true {
            let tag: Int32
            do {
                let announced = try world.receiveWord(from: 0, tag: Tags.command, stop: { nil })
                guard let t = Int32(exactly: announced), t >= 100 else { throw ClusterError("a call tag of \(announced)") }
                tag = t
            } catch {
                log("cannot read the controller's command (\(error)); exiting")
                exit(4)
            }
            let call = Thread {
                let command: ClusterMessage
                do {
                    command = try ClusterMessage(decoding: world.receive(from: 0, tag: tag, stop: { nil }))
                } catch {
                    log("cannot read the controller's command (\(error)); exiting")
                    exit(4)
                }
                let reply = answer(command, blocks: blocks, kernels: kernels, world: world)
                do { try world.send(reply.encoded(), to: 0, tag: tag + 1, stop: { nil }) } catch {
                    log("cannot answer the controller (\(error)); exiting")
                    exit(4)
                }
                if command.op == "stop" { exit(0) }
            }
            call.name = "caslite.worker.call"
            call.start()
        }
    }

    /// The blocks this worker holds, by table id; calls run on several threads.
    final class Blocks: @unchecked Sendable {
        private var tables: [UInt64: DataTable] = [:]
        private let lock = NSLock()

        subscript(id: UInt64) -> DataTable? {
            get { lock.withLock { tables[id] } }
            set { lock.withLock { tables[id] = newValue } }
        }

        var count: Int { lock.withLock { tables.count } }
    }

    /// The reply to one command.
    static func answer(_ command: ClusterMessage, blocks: Blocks, kernels: [String: PartitionKernel], world: MPIWorld) -> ClusterMessage {
        switch command.op {
        case "hello":
            return ClusterMessage(["host": .string(world.host), "cores": .int(Int64(ProcessInfo.processInfo.activeProcessorCount)),
                                   "pid": .int(Int64(getpid()))])
        case "put":
            guard let id = command.header["id"]?.intValue, let t = try? DataTable(binary: command.payload) else { return .error("put: no id or unreadable rows") }
            blocks[UInt64(bitPattern: id)] = t
            return ClusterMessage(["rows": .int(Int64(t.rowCount))])
        case "get":
            guard let id = command.header["id"]?.intValue, var t = blocks[UInt64(bitPattern: id)] else {
                return .error("get: no block \(command.header["id"]?.intValue.map(String.init) ?? "?") on this worker")
            }
            // `from`/`count`: only those rows of the block (a window of the table)
            if let from = command.header["from"]?.intValue, let count = command.header["count"]?.intValue,
               from >= 0, count >= 0, from <= Int64(t.rowCount), count <= Int64(t.rowCount) - from {
                let rows = Int(from)..<Int(from + count)
                for i in t.columns.indices { t.columns[i].data = t.columns[i].data.slice(rows) }
            }
            return ClusterMessage([:], payload: t.binaryEncoded())
        case "run":
            if let keep = command.header["keep"]?.intValue {
                let (kept, reply) = runKeeping(command, blocks: blocks, kernels: kernels, world: world)
                if let kept { blocks[UInt64(bitPattern: keep)] = kept }
                return reply
            }
            return runKernel(command, blocks: blocks, kernels: kernels, world: world)
        case "free":
            if case .list(let ids)? = command.header["ids"] {
                for id in ids { if let i = id.intValue { blocks[UInt64(bitPattern: i)] = nil } }
            }
            return ClusterMessage(["blocks": .int(Int64(blocks.count))])
        case "stop":
            return ClusterMessage([:])
        default:
            return .error("unknown command '\(command.op)'")
        }
    }

    /// A `run` command: the kernel on the block's rows that match the `where` (if any). A collective run's payload
    /// is the table's columns (for a worker holding no block) and then the kernel's payload (`ClusterMessage.collective`);
    /// a worker that cannot start the kernel still takes part in the run's first all-reduce, refusing.
    static func runKernel(_ command: ClusterMessage, blocks: Blocks, kernels: [String: PartitionKernel], world: MPIWorld) -> ClusterMessage {
        let collective = command.header["collective"]?.boolValue == true
        let collectives = collective ? MPICollectives(world: world, stop: { nil }) : nil
        func refused(_ text: String) -> ClusterMessage {
            collectives?.refuse()
            return .error(text)
        }
        let name = command.header["kernel"]?.stringValue ?? ""
        guard let kernel = kernels[name] else { return refused("run: no kernel '\(name)' on this worker") }
        let id = command.header["id"]?.intValue.map { UInt64(bitPattern: $0) }
        var block: DataTable, payload: [UInt8] = []
        if collective {
            guard let (schema, rest) = ClusterMessage.splitCollective(command.payload) else { return refused("run: unreadable collective payload") }
            block = id.flatMap { blocks[$0] } ?? schema
            payload = rest
        } else {
            guard let id, let b = blocks[id] else { return .error("run: no such block on this worker") }
            block = b
            payload = command.payload
        }
        do { block = try matching(block, command) } catch { return refused("where: \(error)") }
        do {
            let context = KernelContext(rank: world.rank, payload: payload, collectives: collectives)
            return ClusterMessage([:], payload: try kernel.answer(block, command.header["args"]?.dictValue ?? [:], context).binaryEncoded())
        } catch {
            return .error(error.message)
        }
    }

    /// The rows of `block` that match the command's `where` (all of them without one).
    static func matching(_ block: DataTable, _ command: ClusterMessage) throws -> DataTable {
        guard let w = command.header["where"]?.stringValue else { return block }
        return block.gather(try WhereExpression(w).bind(to: block).matchingRows())
    }

    /// A `run` command that keeps its output (`TableCluster.runKeeping`): the kernel on the block's rows that match
    /// the `where`, with the command's payload; the block to keep, and the reply — its rows and size, then its
    /// columns and the kernel's summary (`LengthPrefixed`).
    static func runKeeping(_ command: ClusterMessage, blocks: Blocks, kernels: [String: PartitionKernel],
                           world: MPIWorld) -> (DataTable?, ClusterMessage) {
        let name = command.header["kernel"]?.stringValue ?? ""
        guard let keeping = kernels[name]?.keeping else { return (nil, .error("run: no keeping kernel '\(name)' on this worker")) }
        guard let id = command.header["id"]?.intValue, let stored = blocks[UInt64(bitPattern: id)] else { return (nil, .error("run: no such block on this worker")) }
        let block: DataTable
        do { block = try matching(stored, command) } catch { return (nil, .error("where: \(error)")) }
        do {
            let (kept, summary) = try keeping(block, command.header["args"]?.dictValue ?? [:], KernelContext(rank: world.rank, payload: command.payload))
            let answer = ClusterMessage(["rows": .int(Int64(kept.rowCount)), "bytes": .int(Int64(kept.estimatedBytes))],
                                        payload: LengthPrefixed.join([kept.schemaOnly.binaryEncoded(), summary.binaryEncoded()]))
            return (kept, answer)
        } catch {
            return (nil, .error(error.message))
        }
    }

    /// This worker's side of the heartbeat; exits the process when the controller has been silent too long.
    static func heartbeat(_ world: MPIWorld, timeout: Double, log: @Sendable (String) -> Void) {
        var lastSeen = ProcessInfo.processInfo.systemUptime, sent = 0.0
        var incoming: MPIWorld.Request?, outgoing: MPIWorld.Request?
        while true {
            let now = ProcessInfo.processInfo.systemUptime
            do {
                if incoming == nil { incoming = try world.expectBeat(from: 0) }
                if let r = incoming, try world.test(r) {
                    world.finished(r)
                    incoming = nil
                    lastSeen = now
                }
                if now - sent >= 1 {
                    if let r = outgoing, try world.test(r) { world.finished(r); outgoing = nil }
                    if outgoing == nil { outgoing = try world.beat(to: 0); sent = now }
                }
            } catch {
                log("heartbeat failed (\(error)); exiting")
                exit(5)
            }
            if now - lastSeen > timeout {
                log("the controller (rank 0) has been silent for \(Int(now - lastSeen)) s; exiting")
                exit(6)
            }
            usleep(100_000)
        }
    }
}
