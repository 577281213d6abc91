import CASClient
import CASTLS
import CASTestSupport
import CASWire
import Foundation
import Testing

/// TLS through the command line on real `caslite serve` processes: the three-command setup, the CA from
/// the environment, certificate reload on SIGHUP with an open session, and the start-up refusals.
@Suite("TLS: caslite serve and the command line", .serialized)
struct TLSServeTests {
    /// `caslite ARGS`, expected to succeed.
    @discardableResult
    func cli(_ args: [String], environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let r = try await ServerProcess.cliOutput(args, environment: environment)
        #expect(r.status == 0, "caslite \(args.joined(separator: " ")): \(r.output)", sourceLocation: sourceLocation)
        return r.output
    }

    /// `caslite ARGS`, expected to fail with every fragment in its output.
    func cliFails(_ args: [String], _ fragments: String..., environment: [String: String] = [:],
                  sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let r = try await ServerProcess.cliOutput(args, environment: environment)
        #expect(r.status != 0, "caslite \(args.joined(separator: " ")) should fail", sourceLocation: sourceLocation)
        for f in fragments { #expect(r.output.contains(f), "'\(f)' not in: \(r.output)", sourceLocation: sourceLocation) }
    }

    @Test func threeCommandsSetUpTLSAndTheCLIUsesIt() async throws {
        try await withDataRoot { root in
            let dir = root + "/certs"
            let made = try await cli(["tls", "self-signed", "--out", dir])
            #expect(made.contains("--tls-ca \(dir)/ca.pem") && made.contains("CASLITE_TLS_CA") && made.contains("CAS_CLIENT_SSL_CA_LIST"))
            try await cliFails(["tls", "self-signed", "--out", dir, "--host", "bad name"], "neither an IP address nor a host name")
            for key in ["ca-key.pem", "server-key.pem"] {
                let mode = try FileManager.default.attributesOfItem(atPath: "\(dir)/\(key)")[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(key) must be private")
            }
            let serve = ["--tls-cert", dir + "/server.pem", "--tls-key", dir + "/server-key.pem"]
            try await ServerProcess(dataRoot: root, http: true, arguments: serve).run { p in
                let at = "127.0.0.1:\(p.port)"
                #expect(try await cli(["call", "--server", at, "--tls-ca", dir + "/ca.pem", "builtins.echo", "x=1"]).contains("x"))
                // the CA from the environment, and every default name: localhost and ::1 are in the certificate
                try await cli(["call", "--server", "localhost:\(p.port)", "--tls", "builtins.ping"], environment: ["CASLITE_TLS_CA": dir + "/ca.pem"])
                try await cliFails(["call", "--server", at, "--tls", "builtins.ping"], "not trusted by the system's CA bundle", environment: ["CASLITE_TLS_CA": ""])
                try await cliFails(["call", "--server", at, "builtins.ping"], "this caslite port requires TLS")
                try await cliFails(["call", "--tls", "builtins.ping"], "--tls and --tls-ca need --server")
                // a renewal reuses the CA (clients keep trusting it); SIGHUP puts the new certificate in use
                #expect(try await cli(["tls", "self-signed", "--out", dir, "--host", "localhost"]).contains("reused"))
                p.signal(SIGHUP)
                try await waitFor(10) {
                    try await ServerProcess.cliOutput(["call", "--server", at, "--tls-ca", dir + "/ca.pem", "builtins.ping"]).output
                        .contains("is for localhost, not '127.0.0.1'")
                }
                try await cli(["call", "--server", "localhost:\(p.port)", "--tls-ca", dir + "/ca.pem", "builtins.ping"])
            }
        }
    }

    @Test func sighupReloadsTheCertificateWhileOpenSessionsGoOn() async throws {
        let first = try TestCertificates.make(name: "first CA"), second = try TestCertificates.make(name: "second CA")
        defer { first.remove(); second.remove() }
        try await withDataRoot { root in
            let args = ["--tls-cert", first.certificateFile, "--tls-key", first.keyFile]
            try await ServerProcess(dataRoot: root, http: true, arguments: args, log: true).run { p in
                let open = try await p.connect(tls: TLSOptions(caFile: first.caFile))
                let openREST = try await RESTTestClient.connect(port: try #require(p.httpPort), user: "bob", password: "pw",
                                                                tls: try ClientTLS(caFile: first.caFile))
                try await ok(open, "builtins.ping")
                // the administrator replaces the files with a certificate of another CA and sends SIGHUP
                for (from, to) in [(second.keyFile, first.keyFile), (second.certificateFile, first.certificateFile)] {
                    try String(contentsOfFile: from, encoding: .utf8).write(toFile: to, atomically: true, encoding: .utf8)
                }
                p.signal(SIGHUP)
                try await waitFor(10) { await Self.connects(p, caFile: second.caFile) }
                try await ok(open, "builtins.ping")  // established sessions keep their TLS session
                try await ok(openREST, "builtins.ping")
                #expect(await !Self.connects(p, caFile: first.caFile), "new connections get the new certificate")
                let rest = try await RESTTestClient.connect(port: try #require(p.httpPort), user: "bob", password: "pw", tls: try ClientTLS(caFile: second.caFile))
                try await ok(rest, "builtins.ping")
                await rest.close()
                // a reload that fails is an ERROR in the log and keeps the current certificate
                try "not a key".write(toFile: first.keyFile, atomically: true, encoding: .utf8)
                p.signal(SIGHUP)
                // wait for the whole line: the log is read as the process writes it, and a check right after
                // its first words could see the line half written
                try await waitFor(10) { p.log.contains("TLS reload failed") && p.log.contains("the current certificate stays in use") }
                #expect(p.log.contains("error caslite.server") && p.log.contains("the current certificate stays in use"), "\(p.log)")
                #expect(await Self.connects(p, caFile: second.caFile))
                try await ok(open, "builtins.ping")
                await open.close()
                await openREST.close()
            }
        }
    }

    @Test func serveRefusesClearTextPasswordsOffLoopbackAndUnusableFiles() async throws {
        try await withDataRoot { root in
            try await cliFails(["serve", "--host", "0.0.0.0", "--port", "0", "--data", root], "Passwords would cross the network in clear text", "--tls-cert")
            try await cliFails(["serve", "--port", "0", "--data", root, "--tls-cert", root + "/none.pem", "--tls-key", root + "/none-key.pem"],
                               "cannot read the certificate \(root)/none.pem")
            try await cliFails(["serve", "--port", "0", "--data", root, "--tls-cert", root + "/none.pem"], "--tls-cert and --tls-key go together")
            try await ServerProcess(dataRoot: root, auth: "password", arguments: ["--host", "0.0.0.0", "--allow-plaintext-passwords"], log: true).run { p in
                #expect(p.log.contains("WARNING: --allow-plaintext-passwords"), "\(p.log)")
            }
        }
    }

    /// Whether a new TLS connection trusting `caFile` logs in.
    static func connects(_ p: ServerProcess, caFile: String) async -> Bool {
        guard let c = try? await p.connect(tls: TLSOptions(caFile: caFile)) else { return false }
        await c.close()
        return true
    }
}

/// `caslite serve` caps SQLite's own memory at the server's budget: a query whose sort holds 10 blobs of
/// 60 MB fails with SQLite's out-of-memory error under `--max-memory 256M`, and the server goes on.
@Suite("serve: SQLite's heap is within the budget")
struct SQLiteHeapTests {
    @Test func aQueryPastTheBudgetFailsAndTheServerGoesOn() async throws {
        let root = try TestServer.freshRoot()
        try await ServerProcess(dataRoot: root, arguments: ["--max-memory", "256M"]).run { p in
            let c = try await p.connect()
            let big = "select length(b) as n from (select randomblob(60000000) as b from (values(1),(2),(3),(4),(5),(6),(7),(8),(9),(10)) order by b) limit 1"
            let r = try await c.call("fedSql.execDirect", ["query": .string(big)])
            #expect(r.disposition.severity == .error)
            #expect(r.errorText.lowercased().contains("memory"), "\(r.errorText)")
            let fine = try await c.call("fedSql.execDirect", ["query": "select length(randomblob(1000)) as n"])
            #expect(fine.results["Result"]?.tableValue?.ints("n") == [1000], "\(fine.errorText)")
        }
    }
}
