import CMPIShim
import Foundation

/// A failed MPI exchange: the peer stopped answering, or MPI returned an error code.
public struct ClusterError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// This process's place in the MPI job (`mpirun -np N caslite serve --mpi`), and the few exchanges caslite uses:
/// framed byte messages between two ranks and a float sum over all ranks. Every call is non-blocking underneath and
/// polled, so a wait ends when its `stop` check says so (a peer declared lost) — a lost process never hangs a
/// caller. Open MPI is initialised MPI_THREAD_SERIALIZED: any thread may call, one at a time (`lock`).
public final class MPIWorld: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// MPI's processor name of this rank (its host).
    public let host: String
    /// MPI_THREAD_SERIALIZED: one MPI call at a time in the whole process.
    private static let lock = NSLock()
    /// Buffers of abandoned requests: MPI may still read or write them, so they are never freed.
    private var graveyard: [UnsafeMutableRawBufferPointer] = []
    /// `allreduceSum`'s buffer between calls.
    private var reduceBuffer: UnsafeMutableRawBufferPointer?
    /// Messages longer than this go in several MPI messages (MPI counts are 32-bit).
    static let chunk = 1 << 30
    /// The longest message a rank accepts (a block of a table): 1 TiB.
    static let maxMessage: UInt64 = 1 << 40

    private init(rank: Int, size: Int, host: String) {
        self.rank = rank
        self.size = size
        self.host = host
    }

    /// Initialises MPI (once per process).
    public static func start() throws(ClusterError) -> MPIWorld {
        var rank: Int32 = 0, size: Int32 = 0, provided: Int32 = 0
        let rc = cas_mpi_init(&rank, &size, &provided)
        guard rc == 0 else { throw ClusterError("MPI_Init_thread failed: \(errorText(rc))") }
        // MPI_THREAD_SERIALIZED is 2 in Open MPI (SINGLE 0, FUNNELED 1, MULTIPLE 3): calls come from several threads
        guard provided >= 2 else { throw ClusterError("this MPI library gives thread level \(provided); caslite needs MPI_THREAD_SERIALIZED") }
        var name = [CChar](repeating: 0, count: 256)
        _ = cas_mpi_processor_name(&name, Int32(name.count))
        let host = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return MPIWorld(rank: Int(rank), size: Int(size), host: host)
    }

    static func errorText(_ code: Int32) -> String {
        var buf = [CChar](repeating: 0, count: 512)
        lock.lock()
        cas_mpi_error_string(code, &buf, Int32(buf.count))
        lock.unlock()
        return "MPI error \(code): " + buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func locked<T>(_ body: () -> T) -> T {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        return body()
    }

    // MARK: requests

    /// A started non-blocking operation and the buffer it uses.
    struct Request {
        let handle: OpaquePointer
        let buffer: UnsafeMutableRawBufferPointer
    }

    /// Waits for `r` to complete: returns the bytes received. When `stop` returns a reason first, or MPI fails, the
    /// request is abandoned (its buffer kept forever) and the error thrown. `stop` is checked between polls.
    func wait(_ r: Request, stop: () -> String?) throws(ClusterError) -> Int {
        var polls = 0
        while true {
            var done: Int32 = 0, received: Int32 = 0
            let rc = locked { cas_mpi_test(r.handle, &done, &received) }
            if rc != 0 { abandon(r); throw ClusterError(Self.errorText(rc)) }
            if done != 0 {
                locked { cas_mpi_request_free(r.handle) }
                return Int(received)
            }
            if let why = stop() { abandon(r); throw ClusterError(why) }
            polls += 1
            // spin briefly (a reply on loopback takes microseconds), then sleep between polls
            if polls > 200 { usleep(polls > 5_000 ? 1_000 : 50) }
        }
    }

    /// Whether `r` has completed (freeing it then); never blocks.
    func test(_ r: Request) throws(ClusterError) -> Bool {
        var done: Int32 = 0, received: Int32 = 0
        let rc = locked { cas_mpi_test(r.handle, &done, &received) }
        if rc != 0 { abandon(r); throw ClusterError(Self.errorText(rc)) }
        if done != 0 { locked { cas_mpi_request_free(r.handle) } }
        return done != 0
    }

    func abandon(_ r: Request) {
        locked {
            cas_mpi_request_abandon(r.handle)
            graveyard.append(r.buffer)
        }
    }

    func isend(_ buffer: UnsafeMutableRawBufferPointer, count: Int, offset: Int = 0, to peer: Int, tag: Int32) throws(ClusterError) -> Request {
        var rc: Int32 = 0
        let h = locked { cas_mpi_isend(buffer.baseAddress! + offset, Int32(count), Int32(peer), tag, &rc) }
        guard let h else { throw ClusterError(Self.errorText(rc)) }
        return Request(handle: h, buffer: buffer)
    }

    func irecv(_ buffer: UnsafeMutableRawBufferPointer, count: Int, offset: Int = 0, from peer: Int, tag: Int32) throws(ClusterError) -> Request {
        var rc: Int32 = 0
        let h = locked { cas_mpi_irecv(buffer.baseAddress! + offset, Int32(count), Int32(peer), tag, &rc) }
        guard let h else { throw ClusterError(Self.errorText(rc)) }
        return Request(handle: h, buffer: buffer)
    }

    // MARK: framed messages

    /// Sends one 8-byte number to `peer` as a single MPI message: unlike `send`'s framed messages, numbers from several
    /// threads on one tag never interleave (a call's announcement, `Tags.command`).
    public func sendWord(_ value: Int64, to peer: Int, tag: Int32, stop: () -> String?) throws(ClusterError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        buffer.storeBytes(of: value.littleEndian, as: Int64.self)
        _ = try wait(try isend(buffer, count: 8, to: peer, tag: tag), stop: stop)
        buffer.deallocate()
    }

    /// Receives one number `sendWord` sent.
    public func receiveWord(from peer: Int, tag: Int32, stop: () -> String?) throws(ClusterError) -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        let got = try wait(try irecv(buffer, count: 8, from: peer, tag: tag), stop: stop)
        let value = Int64(littleEndian: buffer.load(as: Int64.self))
        buffer.deallocate()
        guard got == 8 else { throw ClusterError("rank \(peer) sent a \(got)-byte number") }
        return value
    }

    /// Sends `bytes` to `peer`: its length (8 bytes), then the bytes in chunks of at most 1 GiB.
    public func send(_ bytes: [UInt8], to peer: Int, tag: Int32, stop: () -> String?) throws(ClusterError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 + bytes.count, alignment: 8)
        buffer.storeBytes(of: UInt64(bytes.count).littleEndian, as: UInt64.self)
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { (buffer.baseAddress! + 8).copyMemory(from: base, byteCount: src.count) }
        }
        // a request that is abandoned keeps `buffer` (graveyard); one that completes lets it go
        var sent = 0
        _ = try wait(try isend(buffer, count: 8, to: peer, tag: tag), stop: stop)
        while sent < bytes.count {
            let n = min(Self.chunk, bytes.count - sent)
            _ = try wait(try isend(buffer, count: n, offset: 8 + sent, to: peer, tag: tag), stop: stop)
            sent += n
        }
        buffer.deallocate()
    }

    /// Receives one message `send` sent from `peer` with `tag`.
    public func receive(from peer: Int, tag: Int32, stop: () -> String?) throws(ClusterError) -> [UInt8] {
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        let got = try wait(try irecv(head, count: 8, from: peer, tag: tag), stop: stop)
        let length = UInt64(littleEndian: head.load(as: UInt64.self))
        head.deallocate()
        guard got == 8, length <= Self.maxMessage else { throw ClusterError("rank \(peer) sent a malformed message header (\(got) bytes, length \(length))") }
        let n = Int(length)
        let body = UnsafeMutableRawBufferPointer.allocate(byteCount: max(n, 1), alignment: 8)
        var received = 0
        while received < n {
            let want = min(Self.chunk, n - received)
            let got = try wait(try irecv(body, count: want, offset: received, from: peer, tag: tag), stop: stop)
            guard got == want else { throw ClusterError("rank \(peer) sent \(got) bytes of a \(want)-byte chunk") }
            received += want
        }
        let out = [UInt8](UnsafeRawBufferPointer(rebasing: body[0..<n]))
        body.deallocate()
        return out
    }

    // MARK: collectives

    /// Sums `values` element-wise over every rank of the job, in place (MPI_Iallreduce, polled: `stop` ends the wait).
    /// Every rank must call it with the same count; at most Int32.max values a call. The values go through a buffer
    /// kept between calls (a fresh 100 MB one costs its page faults every step); one abandoned goes to the graveyard.
    public func allreduceSum(_ values: inout [Float], stop: () -> String?) throws(ClusterError) {
        guard values.count <= Int(Int32.max) else { throw ClusterError("all-reduce of \(values.count) values: at most \(Int32.max) a call") }
        let bytes = max(values.count, 1) * 4
        // owned by this call until it completes (a caller from two threads at once gets two buffers)
        let buffer = locked { () -> UnsafeMutableRawBufferPointer in
            if let b = reduceBuffer, b.count >= bytes { reduceBuffer = nil; return b }
            return UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        }
        values.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[0..<$0.count]).copyMemory(from: $0) }
        var rc: Int32 = 0
        let n = Int32(values.count)
        let h = locked { cas_mpi_iallreduce_sum_float(buffer.baseAddress!.assumingMemoryBound(to: Float.self), n, &rc) }
        guard let h else { keep(buffer); throw ClusterError(Self.errorText(rc)) }
        _ = try wait(Request(handle: h, buffer: buffer), stop: stop)
        values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<$0.count])) }
        keep(buffer)
    }

    /// Keeps `buffer` for the next all-reduce (the larger of it and the one kept).
    private func keep(_ buffer: UnsafeMutableRawBufferPointer) {
        let drop = locked { () -> UnsafeMutableRawBufferPointer? in
            if let b = reduceBuffer, b.count >= buffer.count { return buffer }
            defer { reduceBuffer = buffer }
            return reduceBuffer
        }
        drop?.deallocate()
    }

    // MARK: beats

    /// A one-byte heartbeat to `peer` (tag `Tags.beat`); the caller tests the request before sending the next.
    func beat(to peer: Int) throws(ClusterError) -> Request {
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
        b[0] = 1
        return try isend(b, count: 1, to: peer, tag: Tags.beat)
    }

    /// A posted receive of one heartbeat from `peer`.
    func expectBeat(from peer: Int) throws(ClusterError) -> Request {
        try irecv(UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1), count: 1, from: peer, tag: Tags.beat)
    }

    /// Frees a completed beat request's buffer.
    func finished(_ r: Request) { r.buffer.deallocate() }
}

/// MPI tags of caslite's messages.
enum Tags {
    /// controller → worker: a command is coming — its call's tag (`call`), one number
    static let command: Int32 = 1
    /// both ways, every second: "this process is alive"
    static let beat: Int32 = 3
    /// The tag of call `id`: the command travels on it, the reply on it + 1. Every call in flight has its own pair, so
    /// calls from several controller threads to one worker never mix their messages (MPI_TAG_UB is at least 32767).
    static func call(_ id: UInt64) -> Int32 { 100 + 2 * Int32(id % 15_000) }
}
