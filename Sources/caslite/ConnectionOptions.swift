import ArgumentParser
import CASClient
import CASServer
import CASStandardSets
import Foundation
import Logging

/// Where to run actions: a remote server (`--server host:port`) or an embedded one.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Server address HOST:PORT; an embedded server runs in-process when omitted.")
    var server: String?

    @Option(name: .long, help: "User name (default: CASLITE_USER, else your login name).")
    var user: String?

    @Option(name: .long, help: "Password (prefer CASLITE_PASSWORD in the environment).")
    var password: String?

    @Option(name: .long, help: "Re-attach to this session UUID.")
    var session: String?

    @Option(name: .long, help: "Data folder of the embedded server.")
    var data: String = "./caslite-data"

    @Flag(name: .long, help: "Connect to --server over TLS; the server's certificate and name are verified (docs/security.md \"TLS\").")
    var tls = false

    @Option(name: .long, help: "PEM file of the CA that signed the server's certificate (implies --tls; default: CASLITE_TLS_CA, else the system's CA bundle).")
    var tlsCa: String?

    /// TLS settings for `--server`: `--tls-ca` implies `--tls`.
    var tlsOptions: TLSOptions? { tls || tlsCa != nil ? TLSOptions(caFile: tlsCa) : nil }

    func validate() throws {
        if server == nil && tlsOptions != nil { throw ValidationError("--tls and --tls-ca need --server HOST:PORT (the embedded server is in-process)") }
    }

    /// The user to log in as and where the name came from: `--user`, else `CASLITE_USER`, else the login name.
    var effectiveUser: (name: String, source: String) {
        if let user { return (user, "--user") }
        if let u = ProcessInfo.processInfo.environment["CASLITE_USER"], !u.isEmpty { return (u, "CASLITE_USER") }
        return (Self.loginName, "your login name")
    }

    /// The name of the account running this process (the password database first, then `USER`).
    static var loginName: String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "caslite"
    }

    /// Connects; returns the connection and, for the embedded case, the server to stop afterwards.
    func connect() async throws -> (CASConnection, CASServer?) {
        let pw = password ?? ProcessInfo.processInfo.environment["CASLITE_PASSWORD"]
        let (user, source) = effectiveUser
        if let server {
            let (host, port) = try Self.hostAndPort(server)
            do {
                return (try await CASConnection.connect(host: host, port: port, user: user, password: pw, session: session, tls: tlsOptions), nil)
            } catch let e as ClientError where e.message.contains("Authentication failed") {
                throw ClientError("""
                    \(e.message)
                    caslite logged in as '\(user)' (from \(source)) \(pw == nil ? "without a password" : "with the password from \(password == nil ? "CASLITE_PASSWORD" : "--password")").
                    Pick the user with --user NAME or CASLITE_USER=NAME, the password with CASLITE_PASSWORD (or --password).
                    """)
            }
        }
        var config = ServerConfig()
        config.port = 0
        config.dataRoot = data
        config.auth = .none  // the local user, on a loopback port of its own
        let embedded = try await CASServer.start(config, sets: StandardRegistry.sets, logger: .init(label: "caslite.embedded") { _ in SwiftLogNoOpLogHandler() })
        let conn = try await CASConnection.connect(host: "127.0.0.1", port: embedded.port, user: user, password: pw, session: session)
        return (conn, embedded)
    }

    /// `HOST:PORT`, `[::1]:PORT` → (host, port).
    static func hostAndPort(_ server: String) throws -> (String, Int) {
        guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]), colon > server.startIndex else {
            throw ValidationError("--server must be HOST:PORT (or [IPv6]:PORT), got '\(server)'")
        }
        let host = server[..<colon]
        return (host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : String(host), port)
    }
}
