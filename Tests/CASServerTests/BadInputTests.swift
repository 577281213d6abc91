import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

@Suite("Bad input keeps everything up", .serialized)
struct BadInputTests {
    /// After each bad input: the same connection answers, the session keeps its table.
    func stillHealthy(_ c: CASConnection, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await ok(c, "builtins.ping", sourceLocation: sourceLocation)
        let r = try await ok(c, "table.fetch", ["table": "kept"], sourceLocation: sourceLocation)
        #expect(r.results["Fetch"]?.tableValue?.rowCount == 3, sourceLocation: sourceLocation)
    }

    @Test func everyKindOfBadInput() async throws {
        let s = try await TestServer.start(maxLine: 4096)
        let c = try await s.connect()
        try await ok(c, "table.addTable", ["table": "kept", "vars": allTypesVars, "rows": allTypesRows])

        try await fails(c, "nosuch.action", ValueDict(), "Action set 'nosuch' does not exist")
        try await stillHealthy(c)
        try await fails(c, "table.fecth", ValueDict(), "Did you mean 'table.fetch'")
        try await stillHealthy(c)
        try await fails(c, "table.fetch", ["table": "kept", "bogus": 1], "table.fetch", "'bogus' is not recognized")
        try await stillHealthy(c)
        try await fails(c, "table.fetch", ["table": "kept", "from": "abc"], "table.fetch", "'from' expects an integer")
        try await stillHealthy(c)
        try await fails(c, "table.fetch", ValueDict(), "'table' is required")
        try await stillHealthy(c)
        try await fails(c, "table.fetch", ["table": "gone"], "Table 'gone' does not exist")
        try await stillHealthy(c)
        try await fails(c, "table.fetch", ["table": ["name": "kept", "where": "d >"]], "table.where")
        try await stillHealthy(c)
        try await fails(c, "table.loadTable", ["path": "../../etc/passwd"], "escapes caslib")
        try await stillHealthy(c)
        try await fails(c, "table.addTable", ["table": "x", "vars": [["name": "a", "type": "int32"]], "rows": [["text"]]], "Row 1", "expected int32")
        try await stillHealthy(c)

        // An oversize call still gets an answer under its id (the client is not left waiting).
        let big = try await c.call("builtins.echo", ["x": .string(String(repeating: "a", count: 10_000))])
        #expect(big.disposition.severity == .error)
        #expect(big.errorText.contains("exceeds the server's limit of 4096 bytes"))
        try await stillHealthy(c)

        // Malformed JSON and an oversize line get error frames on the raw socket; the connection stays open.
        try await c.sendRaw(Array("this is not json\n".utf8))
        try await c.sendRaw(Array((String(repeating: "x", count: 10_000) + "\n").utf8))
        try await c.sendRaw(Array("{\"id\": 99}\n".utf8))
        try await stillHealthy(c)
        await s.stop()
    }

    @Test func rawSocketSeesErrorFrames() async throws {
        let s = try await TestServer.start(maxLine: 1024)
        let sock = try RawSocket(port: s.server.port)
        try sock.send("not json\n")
        #expect(try sock.readLine().contains("malformed JSON"))
        try sock.send("{\"id\": 1, \"action\": \"builtins.ping\"}\n")
        #expect(try sock.readLine().contains("hello"))
        try sock.send("{\"hello\": {\"user\": \"u\"}}\n")
        #expect(try sock.readLine().contains("welcome"))
        try sock.send(String(repeating: "y", count: 5000) + "\n")
        #expect(try sock.readLine().contains("exceeds"))
        try sock.send("{\"id\": 2, \"action\": \"builtins.ping\"}\n")
        #expect(try sock.readLine().contains("\"severity\":\"Normal\""))
        sock.close()
        await s.stop()
    }
}

/// A blocking TCP socket speaking raw lines (to test what no client library would send).
final class RawSocket {
    let fd: Int32
    var pending: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ s: String) throws {
        let bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            off += n
        }
    }

    func readLine() throws -> String {
        while true {
            if let nl = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeFirst(nl + 1)
                return line
            }
            var buf = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buf, buf.count, 0)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            pending += buf[..<n]
        }
    }

    func close() { Glibc.close(fd) }
}
