import CASWire
import Foundation

/// A blocking JSON-lines client on a plain socket, so the fuzzer sees every frame exactly as sent.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw FuzzFailure("cannot connect to 127.0.0.1:\(port)") }
    }

    deinit { close(fd) }

    func send(_ v: Value) throws {
        var bytes = Array(v.jsonString.utf8)
        bytes.append(0x0A)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw FuzzFailure("the server closed the connection while a request was sent") }
            off += n
        }
    }

    /// The next frame, or nil when none arrives within `timeout` seconds. Throws when the connection ends.
    func frame(timeout: Double) throws -> Value? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                do { return try JSONParser.parse(line) } catch { throw FuzzFailure("the server sent a line that is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))") }
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(min(left, 1) * 1000) + 1) >= 0 else { throw FuzzFailure("poll failed") }
            if p.revents == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { throw FuzzFailure("the server closed the connection") }
            buffer += chunk[..<n]
        }
    }

    /// `hello` as `user` (no password: the fuzzed server runs `--auth none` on loopback).
    func hello(_ user: String) throws -> String {
        try send(["hello": ["user": .string(user), "protocol": 1]])
        guard let f = try frame(timeout: 10), let s = f["welcome"]["session"].stringValue else { throw FuzzFailure("no welcome") }
        return s
    }

    /// One call: every frame sent for `id` until its final frame (a response or an error). A call still
    /// running after `timeout` seconds is cancelled; nil when it does not end `cancelGrace` seconds later.
    func call(_ id: Int64, _ action: String, _ params: ValueDict, timeout: Double, cancelGrace: Double = 15) throws -> (frames: [Value], final: Value?, cancelled: Bool) {
        try send(["id": .int(id), "action": .string(action), "params": .dict(params)])
        var frames: [Value] = []
        var cancelled = false
        var deadline = Date().addingTimeInterval(timeout)
        while true {
            guard let f = try frame(timeout: max(0, deadline.timeIntervalSinceNow)) else {
                if cancelled { return (frames, nil, true) }
                try send(["cancel": .int(id)])
                cancelled = true
                deadline = Date().addingTimeInterval(cancelGrace)
                continue
            }
            guard f["id"].intValue == id else { continue }
            frames.append(f)
            if case .dict = f["response"] { return (frames, f, cancelled) }
            if case .dict = f["error"] { return (frames, f, cancelled) }
        }
    }
}

struct FuzzFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
