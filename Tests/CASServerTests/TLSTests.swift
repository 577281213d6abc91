import CASClient
import CASCore
import CASServer
import CASTLS
import CASTestSupport
import CASWire
import Foundation
import Testing

/// TLS on both front ends over real sockets and real certificates (made by `SelfSignedCertificates`, the
/// code of `caslite tls self-signed`): calls over TLS, every refused certificate with its reason, the
/// wrong protocol on either kind of port, and the rule that passwords never cross the network in clear
/// text unless the administrator says so. After every refusal the server keeps serving.
@Suite("TLS", .serialized)
struct TLSTests {
    /// Runs `body` against a TLS server (both front ends) with `certs`, removing the certificates afterwards.
    func withTLSServer(_ certs: TestCertificates, auth: AuthMode = .none, users: [(String, String, Bool)] = [],
                       _ body: (TestServer) async throws -> Void) async throws {
        defer { certs.remove() }
        try await TestServer.start(auth: auth, users: users, http: true, tls: certs.server).run(body)
    }

    /// A good TLS client works (the server kept serving after whatever came before).
    func expectServing(_ s: TestServer, _ certs: TestCertificates, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for transport in Transport.allCases {
            let c = try await s.client(transport, "alice", caFile: certs.caFile)
            try await ok(c, "builtins.ping", sourceLocation: sourceLocation)
            await c.close()
        }
    }

    /// Expects `connect` to fail within `seconds` with a message containing every fragment.
    func expectRefused(within seconds: Double = 3, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                       _ connect: () async throws -> any TestClient) async {
        let t0 = Date()
        do {
            let c = try await connect()
            await c.close()
            Issue.record("the connection should have been refused", sourceLocation: sourceLocation)
        } catch {
            let m = String(describing: error)
            for f in fragments { #expect(m.contains(f), "'\(f)' not in: \(m)", sourceLocation: sourceLocation) }
        }
        #expect(Date().timeIntervalSince(t0) < seconds, "a refusal must come at once, not after a time-out", sourceLocation: sourceLocation)
    }

    @Test(arguments: Transport.allCases)
    func callsAndTablesOverTLS(_ transport: Transport) async throws {
        let certs = try TestCertificates.make()
        try await withTLSServer(certs, auth: .password, users: [("alice", "secret-1", false)]) { s in
            let c = try await s.client(transport, "alice", password: "secret-1", caFile: certs.caFile)
            try await ok(c, "builtins.ping")
            // a table large enough to span many TLS records, there and back
            let rows: [Value] = (0..<5_000).map { i in [.int(Int64(i)), .string(String(repeating: "x", count: i % 97))] }
            try await ok(c, "table.addTable", ["table": "big", "vars": [["name": "i", "type": "int64"], ["name": "s", "type": "varchar"]], "rows": .list(rows)])
            let t = try await fetchAll(c, "big")
            #expect(t.rowCount == 5_000)
            #expect(t.ints("i").last == 4_999)
            try await fails(c, "table.fetch", ["table": "missing"], "does not exist")  // errors come back over TLS too
            await c.close()
        }
    }

    @Test(arguments: Transport.allCases)
    func aCertificateFromAnotherCAIsRefusedWithItsIssuer(_ transport: Transport) async throws {
        let certs = try TestCertificates.make(name: "served CA")
        let other = try TestCertificates.make(name: "other CA")
        defer { other.remove() }
        try await withTLSServer(certs) { s in
            await expectRefused(["not trusted by the CA file \(other.caFile)", "issued by 'CN=served CA", "--tls-ca FILE or CASLITE_TLS_CA"]) {
                try await s.client(transport, "alice", caFile: other.caFile)
            }
            try await expectServing(s, certs)
        }
    }

    @Test(arguments: Transport.allCases)
    func aCertificateForAnotherHostIsRefusedWithItsNames(_ transport: Transport) async throws {
        let certs = try TestCertificates.make(hosts: ["db.example", "10.1.2.3"])
        try await withTLSServer(certs) { s in
            await expectRefused(["is for db.example, 10.1.2.3, not '127.0.0.1'", "--host 127.0.0.1"]) {
                try await s.client(transport, "alice", caFile: certs.caFile)
            }
            try certs.install(try certs.ca.issue())  // the same CA, the right names: only the name was wrong
            try await s.server.reloadTLS()
            try await expectServing(s, certs)
        }
    }

    @Test(arguments: Transport.allCases)
    func anExpiredCertificateIsRefusedWithItsDate(_ transport: Transport) async throws {
        // whole seconds: a certificate holds its dates to the second, so 10:19:59.6 would be stored as 10:20:00
        // and shown as a different minute than the one expected below
        let lastWeek = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 7 * 86400).rounded(.down))
        let certs = try TestCertificates.make(validity: (lastWeek - 86400)...lastWeek)
        try await withTLSServer(certs) { s in
            let expiry = CertificateSummary.date(lastWeek)
            await expectRefused(["expired on \(expiry)", "renew it"]) {
                try await s.client(transport, "alice", caFile: certs.caFile)
            }
            #expect(s.server.tls?.certificate.isValid(at: Date()) == false)
            try certs.install(try certs.ca.issue())  // renewed by the same CA, and reloaded: served again
            try await s.server.reloadTLS()
            try await expectServing(s, certs)
        }
    }

    @Test func aPlaintextClientOnTheTLSPortIsToldToUseTLS() async throws {
        let certs = try TestCertificates.make()
        try await withTLSServer(certs) { s in
            await expectRefused(["this caslite port requires TLS", "--tls"]) { try await s.connect() }
            // REST: plain HTTP on the HTTPS port gets a 400 that says so, then the connection is closed
            let http = try await RESTClient.connect(port: try #require(s.server.httpPort), user: "alice", password: "pw")
            let r = try await http.json("PUT", "/cas/sessions")
            #expect(r.status == 400)
            #expect(r.json["error"].stringValue == "This port requires HTTPS")
            #expect(r.json["details"].stringValue?.contains("https://") == true)
            await http.close()
            try await expectServing(s, certs)
        }
    }

    @Test func aTLSClientOnAPlaintextPortFailsAtOnce() async throws {
        let certs = try TestCertificates.make()
        defer { certs.remove() }
        try await TestServer.start(http: true).run { s in
            for transport in Transport.allCases {
                await expectRefused(["closed the connection during the TLS handshake", "is it a TLS port?"]) {
                    try await s.client(transport, "alice", caFile: certs.caFile)
                }
            }
            for transport in Transport.allCases { try await ok(try await s.client(transport, "alice"), "builtins.ping") }
        }
    }

    @Test func aTLSClientOnAPortThatAnswersPlaintextIsToldSo() async throws {
        let certs = try TestCertificates.make()
        defer { certs.remove() }
        // A plaintext server that answers first (an HTTP server's 400 to a TLS hello): not TLS, and said so.
        try await TestServer.start(http: true).run { s in
            let tls = try ClientTLS(caFile: certs.caFile)
            let listener = try await RawListener.start { _ in Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8) }
            defer { listener.stop() }
            await expectRefused(["did not answer with TLS", "remove --tls"]) {
                try await RESTTestClient.connect(port: listener.port, user: "alice", password: "pw", tls: tls)
            }
            try await ok(try await s.client(.jsonLines, "alice"), "builtins.ping")
        }
    }

    @Test func passwordsInClearTextOffLoopbackAreRefusedUnlessAllowed() async throws {
        let root = try TestServer.freshRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var c = ServerConfig()
        c.host = "0.0.0.0"
        c.port = 0
        c.dataRoot = root
        #expect(c.auth == .password && !c.allowPlaintextPasswords, "refused by default")
        do {
            let s = try await CASServer.start(c, sets: TestServer.coreSets)
            await s.stop()
            Issue.record("passwords in clear text off loopback must be refused")
        } catch let e as LoginError {
            #expect(e.reason == .misconfigured)
            #expect(e.description.contains("--tls-cert") && e.description.contains("--allow-plaintext-passwords"), "\(e)")
        }
        // The library refuses it too, not only the command line.
        #expect(throws: LoginError.self) { try Login.check(mode: .password, host: "10.0.0.1", encrypted: false, allowPlaintextPasswords: false) }
        try Login.check(mode: .password, host: "10.0.0.1", encrypted: true, allowPlaintextPasswords: false)
        try Login.check(mode: .password, host: "127.0.0.1", encrypted: false, allowPlaintextPasswords: false)
        #expect(throws: LoginError.self) { try Login.check(mode: .none, host: "10.0.0.1", encrypted: true, allowPlaintextPasswords: true) }
        c.allowPlaintextPasswords = true
        await CASServer.startThenStop(c)
        let certs = try TestCertificates.make()
        defer { certs.remove() }
        c.allowPlaintextPasswords = false
        c.tls = certs.server
        await CASServer.startThenStop(c)
    }

    @Test func unusableCertificateFilesAreRefusedAtStartNamingTheFile() async throws {
        let certs = try TestCertificates.make()
        let other = try TestCertificates.make()
        defer { certs.remove(); other.remove() }
        let cases: [(ServerTLS.Files, String)] = [
            (.init(certificate: certs.folder + "/nope.pem", privateKey: certs.keyFile), "cannot read the certificate \(certs.folder)/nope.pem: no such file"),
            (.init(certificate: certs.certificateFile, privateKey: other.keyFile), "the private key \(other.keyFile) does not belong to the certificate"),
            (.init(certificate: certs.keyFile, privateKey: certs.keyFile), "holds no CERTIFICATE block"),
            (.init(certificate: certs.certificateFile, privateKey: certs.keyFile, chain: certs.folder + "/missing-chain.pem"), "cannot read the CA chain"),
        ]
        for (files, message) in cases {
            #expect {
                try ServerTLS(files: files)
            } throws: { e in
                (e as? TLSError)?.code == .badFile && "\(e)".contains(message)
            }
        }
    }
}

extension CASServer {
    /// Starts with `c` (which must succeed) and stops.
    static func startThenStop(_ c: ServerConfig, sourceLocation: SourceLocation = #_sourceLocation) async {
        do { try await CASServer.start(c, sets: TestServer.coreSets).stop() } catch {
            Issue.record("should start: \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// Connections a TLS port refuses before login, and TLS handshakes that never finish: neither may stop
/// the server (a refused connection's channel must still be finished) nor hold a place past the login
/// time-out (a goodbye cannot be written before a handshake, so the connection is closed regardless).
@Suite("TLS: refused and stalled connections", .serialized)
struct TLSRefusalTests {
    @Test func refusedTLSConnectionsDoNotCrashAndStalledHandshakesAreClosed() async throws {
        let certs = try TestCertificates.make()
        defer { certs.remove() }
        var limits = LoginLimits()
        limits.maxPendingPerAddress = 2
        limits.handshakeTimeout = 1
        try await TestServer.start(login: limits, http: true, tls: certs.server).run { s in
            let httpPort = try #require(s.server.httpPort)
            var waiting: [RawSocket] = []
            for port in [s.server.port, httpPort] {
                for _ in 0..<2 { waiting.append(try await RawSocket.connect(port: port, from: "127.0.0.5")) }
            }
            // while they wait, TLS clients from the same address are refused: closed, without clear text
            for _ in 0..<20 {
                do {
                    _ = try await s.connect("alice", from: "127.0.0.5", tls: TLSOptions(caFile: certs.caFile))
                } catch {
                    #expect(!"\(error)".contains("did not answer with TLS"), "\(error)")
                }
            }
            let c = try await s.connect("bob", tls: TLSOptions(caFile: certs.caFile))
            #expect(try await c.call("builtins.ping").disposition.severity != .error, "the server kept serving")
            // half a ClientHello, then nothing: closed after the 1 s login time-out and its grace second
            for port in [s.server.port, httpPort] {
                let half = try await RawSocket.connect(port: port, from: "127.0.0.6", timeout: 6)
                try await half.send([0x16, 0x03, 0x01, 0x00, 0xC8, 0x01, 0x00])
                #expect(await half.closedByPeer(), "port \(port)")
            }
            _ = waiting
        }
    }

    @Test func aBrokenKeyOrCertificateIsNamedButNeverQuoted() throws {
        let certs = try TestCertificates.make()
        defer { certs.remove() }
        for (file, isKey) in [(certs.server.privateKey, true), (certs.server.certificate, false)] {
            let pem = try String(contentsOfFile: file, encoding: .utf8)
            let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }
            let broken = pem.split(separator: "\n").filter { !$0.contains("END") }.joined(separator: "\n")
            let path = file + ".broken"
            try broken.write(toFile: path, atomically: true, encoding: .utf8)
            let files = isKey ? ServerTLS.Files(certificate: certs.server.certificate, privateKey: path)
                              : ServerTLS.Files(certificate: path, privateKey: certs.server.privateKey)
            do {
                _ = try ServerTLS(files: files)
                Issue.record("a PEM file without its END line was accepted")
            } catch {
                let text = "\(error)"
                #expect(text.contains(path) && text.contains("malformed"), "\(text)")
                for line in body where line.count > 8 { #expect(!text.contains(line), "the file's content is quoted: \(text)") }
                #expect(!text.contains("UTF8View"), "\(text)")
            }
        }
        // a folder or a device where a PEM file belongs is named as such
        for (path, words) in [(NSTemporaryDirectory(), "is a folder"), ("/dev/zero", "not a regular file")] {
            let e = #expect(throws: TLSError.self) { try ServerTLS(files: ServerTLS.Files(certificate: path, privateKey: certs.server.privateKey)) }
            #expect(e?.message.contains(words) == true, "\(String(describing: e))")
        }
    }
}
