import Dispatch
import Foundation
import Synchronization

/// A plain TCP socket for what no client library sends: malformed lines, oversize lines, requests
/// before `hello`, HTTP requests with stale headers, floods from another source address. The one raw
/// socket of the tests.
///
/// Its blocking calls run on a serial queue of each socket's own — serial queues get threads of their
/// own from dispatch's overcommit pool, while a shared concurrent queue would take the threads the
/// in-process server's tasks run on — and every read and write times out (`timeout`), so a test fails
/// instead of hanging.
///
/// ```swift
/// let sock = try await RawSocket.connect(port: s.server.port, from: "127.0.0.2")
/// try await sock.send("not json\n")
/// #expect(try await sock.readLine().contains("malformed JSON"))
/// ```
public final class RawSocket: Sendable {
    public let fd: Int32
    private let pending = Mutex<[UInt8]>([])
    private let queue: DispatchQueue

    private init(fd: Int32, queue: DispatchQueue) {
        self.fd = fd
        self.queue = queue
    }

    deinit { Glibc.close(fd) }

    /// Connects to `127.0.0.1:port`, from the loopback address `source` when given (`127.0.0.2`, … play
    /// other machines).
    public static func connect(port: Int, from source: String? = nil, timeout: Double = 10) async throws -> RawSocket {
        let queue = DispatchQueue(label: "caslite.tests.raw-socket")
        return try await blocking(on: queue) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EMFILE) }
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            if let source {
                var local = address(source, port: 0)
                let rc = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                guard rc == 0 else { Glibc.close(fd); throw POSIXError(.EADDRNOTAVAIL) }
            }
            var remote = address("127.0.0.1", port: port)
            let rc = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard rc == 0 else { Glibc.close(fd); throw POSIXError(.ECONNREFUSED) }
            return RawSocket(fd: fd, queue: queue)
        }
    }

    static func address(_ ip: String, port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr(ip)
        return a
    }

    /// Runs a blocking call on `queue`, off the cooperative pool.
    static func blocking<T: Sendable>(on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in queue.async { c.resume(with: Result { try body() }) } }
    }

    public func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) async throws {
        let sent = await sendUntilClosed(bytes)
        guard sent == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// Sends `bytes` until the peer closes or resets the connection; returns how many were sent.
    public func sendUntilClosed(_ bytes: [UInt8]) async -> Int {
        let fd = self.fd
        return (try? await Self.blocking(on: queue) {
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                off += n
            }
            return off
        }) ?? 0
    }

    /// Sends `count` bytes of `fill` (no newline) in chunks until the peer closes; returns how many were sent.
    public func flood(_ count: Int, fill: UInt8 = UInt8(ascii: "x"), chunk: Int = 1 << 16) async -> Int {
        let block = [UInt8](repeating: fill, count: chunk)
        var sent = 0
        while sent < count {
            let want = min(chunk, count - sent)
            let n = await sendUntilClosed(Array(block.prefix(want)))
            sent += n
            if n < want { break }
        }
        return sent
    }

    /// The next line, without its newline; throws when the connection ends (or times out) first.
    public func readLine() async throws -> String {
        while true {
            if let line = pending.withLock({ p -> String? in
                guard let nl = p.firstIndex(of: 0x0A) else { return nil }
                defer { p.removeFirst(nl + 1) }
                return String(decoding: p[..<nl], as: UTF8.self)
            }) { return line }
            let chunk = try await receive()
            guard !chunk.isEmpty else { throw POSIXError(.ECONNRESET) }
            pending.withLock { $0 += chunk }
        }
    }

    /// Waits until at least `count` bytes are waiting to be read (they stay for `readLine`).
    public func waitForBytes(_ count: Int) async throws {
        while pending.withLock({ $0.count }) < count {
            let chunk = try await receive()
            guard !chunk.isEmpty else { throw POSIXError(.ECONNRESET) }
            pending.withLock { $0 += chunk }
        }
    }

    /// Everything until the peer closes (or the read times out): what was left unread, then the rest.
    public func readToEnd() async -> [UInt8] {
        var out = pending.withLock { p in defer { p.removeAll() }; return p }
        while let chunk = try? await receive(), !chunk.isEmpty { out += chunk }
        return out
    }

    /// Whether the peer has closed the connection: reads (and drops) whatever arrives until it does,
    /// up to the socket's time-out.
    public func closedByPeer() async -> Bool {
        while true {
            do {
                if try await receive().isEmpty { return true }
            } catch let e as POSIXError where e.code == .ECONNRESET {
                return true
            } catch {
                return false
            }
        }
    }

    /// One `recv`: empty at the end of the stream; throws on a time-out or error.
    func receive() async throws -> [UInt8] {
        let fd = self.fd
        return try await Self.blocking(on: queue) {
            var buf = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            return Array(buf[..<n])
        }
    }

    /// Sends one HTTP request and reads until the server closes the connection (send `Connection: close`).
    public static func http(port: Int, _ request: String, from source: String? = nil) async throws -> String {
        let s = try await connect(port: port, from: source)
        try await s.send(request)
        return String(decoding: await s.readToEnd(), as: UTF8.self)
    }
}
