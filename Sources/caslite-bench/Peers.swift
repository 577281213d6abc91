import CASCore
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

struct BenchNoLog: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .critical
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
    func log(event: LogEvent) {}
}

/// A blocking TCP client that reads newline-terminated replies. `send` may run on another thread
/// than `readLine` (they touch disjoint state); one sender and one reader at a time.
final class BlockingLineSocket: @unchecked Sendable {
    let fd: Int32
    var buffer = [UInt8]()

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ s: String) throws {
        var s = s
        try s.withUTF8 { p in
            var off = 0
            while off < p.count {
                let n = Glibc.send(fd, p.baseAddress! + off, p.count - off, 0)
                guard n > 0 else { throw POSIXError(.EPIPE) }
                off += n
            }
        }
    }

    func readLine() throws -> String {
        var scanned = 0
        while true {
            if let nl = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeFirst(nl + 1)
                return line
            }
            scanned = buffer.count
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            buffer += chunk[..<n]
        }
    }
}

/// The peer: a line echo server on a thread, using plain blocking sockets.
final class EchoPeer: @unchecked Sendable {  // fields are written once in init, then only read
    let port: Int
    private let listener: Int32

    init() throws {
        let l = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = l
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(l, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(l, 4)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(l, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread {
            while true {
                let c = accept(l, nil, nil)
                if c < 0 { return }
                var one: Int32 = 1
                setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                Thread.detachNewThread {
                    var buf = [UInt8](repeating: 0, count: 1 << 20)
                    while true {
                        let n = recv(c, &buf, buf.count, 0)
                        if n <= 0 { close(c); return }
                        var off = 0
                        while off < n { let w = buf.withUnsafeBufferPointer { Glibc.send(c, $0.baseAddress! + off, n - off, 0) }; if w <= 0 { return }; off += w }
                    }
                }
            }
        }
    }
}
