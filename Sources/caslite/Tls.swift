import ArgumentParser
import CASTLS
import Foundation

/// `caslite tls`: certificates for `caslite serve --tls-cert/--tls-key` (docs/security.md "TLS").
struct Tls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls", abstract: "Certificates for TLS on both ports.", subcommands: [SelfSigned.self])

    /// `caslite tls self-signed --out DIR`: a small CA and a server certificate signed by it.
    struct SelfSigned: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "self-signed",
            abstract: "Write a CA (ca.pem, ca-key.pem) and a server certificate signed by it (server.pem, server-key.pem) to --out.",
            discussion: "A CA already in --out is reused, so clients that trust it keep working after a renewal (then send the server SIGHUP). Clients trust ca.pem: caslite --tls-ca, CASLITE_TLS_CA, or swat's CAS_CLIENT_SSL_CA_LIST.")

        @Option(name: .long, help: "Folder to write the PEM files to (created, mode 700).")
        var out: String

        @Option(name: .long, help: "A DNS name or IP address the server is reached by. Repeatable (default: localhost, 127.0.0.1, ::1).")
        var host: [String] = []

        @Option(name: .long, help: "Days the server certificate is valid.")
        var days: Int = 365

        func validate() throws {
            guard days > 0 && days <= 3650 else { throw ValidationError("--days must be between 1 and 3650") }
            for h in host { if let p = HostName.problem(h) { throw ValidationError("--host \(p)") } }
        }

        func run() throws {
            let dir = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let caCert = dir.appendingPathComponent("ca.pem").path, caKey = dir.appendingPathComponent("ca-key.pem").path
            let reused = FileManager.default.fileExists(atPath: caCert) && FileManager.default.fileExists(atPath: caKey)
            let ca = reused ? try SelfSignedCertificates.CA.read(certificate: caCert, key: caKey)
                : try SelfSignedCertificates.CA.make(name: "caslite CA (\(ProcessInfo.processInfo.hostName), \(CertificateSummary.date(Date())))")
            let now = Date()
            let server = try ca.issue(hosts: host.isEmpty ? SelfSignedCertificates.defaultHosts : host, validity: (now - 3600)...(now + Double(days) * 86400))
            if !reused {
                let pair = try ca.pair
                try Self.write(pair.certificatePEM, to: caCert, mode: 0o644)
                try Self.write(pair.keyPEM, to: caKey, mode: 0o600)
            }
            let cert = dir.appendingPathComponent("server.pem").path, key = dir.appendingPathComponent("server-key.pem").path
            try Self.write(server.keyPEM, to: key, mode: 0o600)
            try Self.write(server.certificatePEM, to: cert, mode: 0o644)
            print("""
                \(reused ? "reused" : "wrote ") \(caCert)  the CA ('\(ca.certificate.subject)'); clients trust it. Keep \(caKey) private.
                wrote  \(cert)  for \(server.summary.names.joined(separator: ", ")), valid until \(CertificateSummary.date(server.summary.notValidAfter))
                wrote  \(key)  (mode 600)

                Serve:   caslite serve --tls-cert \(cert) --tls-key \(key) --http-port 5571
                Clients: caslite call --server HOST:5570 --tls-ca \(caCert) builtins.ping     (or export CASLITE_TLS_CA=\(caCert))
                swat:    CAS_CLIENT_SSL_CA_LIST=\(caCert) python -c 'import swat; swat.CAS("https://HOST:5571", username="USER", password="PASSWORD")'
                """)
        }

        /// Writes atomically (a reload never reads half a file) with `mode`.
        static func write(_ text: String, to path: String, mode: Int) throws {
            let tmp = path + ".tmp-\(getpid())"
            guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
                throw ValidationError("cannot write \(tmp)")
            }
            guard rename(tmp, path) == 0 else { throw ValidationError("cannot replace \(path): \(String(cString: strerror(errno)))") }
        }
    }
}
