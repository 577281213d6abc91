import ArgumentParser
import CASCore
import CASServer
import CASStorage
import CASStandardSets
import CASTLS
import Foundation
import Logging

extension AuthMode: ExpressibleByArgument {}

/// `caslite serve`: runs the shared server until SIGTERM or SIGINT, then stops in order (listeners
/// closed, client connections closed, running calls cancelled) and exits 0; a stop that takes over
/// `stopDeadline` seconds, or a second signal, exits 1 at once. With `--tls-cert`, SIGHUP reloads
/// the certificate for new connections (docs/security.md "TLS").
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the caslite server.")

    /// Seconds the orderly stop may take after a signal.
    static let stopDeadline = 10.0

    @Option(name: .long, help: "Address to listen on.")
    var host: String = ServerConfig().host

    @Option(name: .long, help: "Port to listen on; 0 picks a free port.")
    var port: Int = ServerConfig().port

    @Option(name: .long, help: "Data folder (caslibs live under it).")
    var data: String = ServerConfig().dataRoot

    @Option(name: .long, help: "Write the bound port to this file once listening.")
    var portFile: String?

    @Option(name: .long, help: "Also serve the REST protocol of the Python swat client on this port (docs/python.md); 0 picks a free port.")
    var httpPort: Int?

    @Option(name: .long, help: "Write the bound REST port to this file once listening.")
    var httpPortFile: String?

    @Option(name: .long, help: "Default idle time-out of sessions, in seconds.")
    var sessionTimeout: Double = ServerConfig().sessionTimeout

    @Option(name: .long, help: "Longest accepted request line (JSON-lines) or request body (REST), in bytes, once a client has logged in.")
    var maxLine: Int = ServerConfig().maxLineLength

    @Option(name: .long, help: "Most memory tables and running actions may hold in the whole server, e.g. 16G or 512M (default: 75% of physical memory).")
    var maxMemory: String?

    @Option(name: .long, help: "Most memory one session may hold, e.g. 4G (default: half of --max-memory).")
    var maxSessionMemory: String?

    @Option(name: .long, help: "How connections authenticate: password (users from `caslite users`) or none (loopback only).")
    var auth: AuthMode = ServerConfig().auth

    @Option(name: .long, help: "Seconds a new connection has to log in before it is closed (lines are limited to 64 KiB until then).")
    var loginTimeout: Double = LoginLimits().handshakeTimeout

    @Option(name: .long, help: "Connections that have not logged in yet, over both ports; more are refused at once.")
    var maxPendingLogins: Int = LoginLimits().maxPending

    @Option(name: .long, help: "PEM certificate (optionally followed by intermediates): serve TLS on the JSON-lines port and HTTPS on --http-port. Reloaded on SIGHUP.")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key of --tls-cert (unencrypted; keep it mode 600).")
    var tlsKey: String?

    @Option(name: .long, help: "PEM intermediate CA certificates sent after --tls-cert.")
    var tlsCa: String?

    @Flag(name: .long, help: "Accept passwords in clear text on a non-loopback --host without TLS (refused otherwise).")
    var allowPlaintextPasswords = false

    @Option(name: .long, parsing: .upToNextOption, help: "Users with the administrator role.")
    var admin: [String] = []

    @Option(name: .long, help: "A folder of *.casl action-set definitions (builtins.defineActionSet calls) to load at start. Repeatable.")
    var actionsets: [String] = []

    func validate() throws {
        guard loginTimeout > 0 else { throw ValidationError("--login-timeout must be positive") }
        guard maxPendingLogins > 0 else { throw ValidationError("--max-pending-logins must be positive") }
        for name in admin {
            if let problem = Names.problem(name, .user) { throw ValidationError("--admin \(Names.quote(name)): \(problem)") }
        }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together: give both, or neither for plaintext") }
        guard tlsCa == nil || tlsCert != nil else { throw ValidationError("--tls-ca needs --tls-cert and --tls-key") }
        for (flag, value) in [("--max-memory", maxMemory), ("--max-session-memory", maxSessionMemory)] {
            if let value, ByteCount.parse(value) == nil { throw ValidationError("\(flag) must be a size such as 16G, 512M or 1048576; got '\(value)'") }
        }
    }

    var config: ServerConfig {
        var config = ServerConfig()
        config.host = host
        config.port = port
        config.httpPort = httpPort
        config.dataRoot = data
        config.sessionTimeout = sessionTimeout
        config.maxLineLength = maxLine
        config.maxMemory = maxMemory.flatMap { ByteCount.parse($0) }
        config.maxSessionMemory = maxSessionMemory.flatMap { ByteCount.parse($0) }
        config.admins = Set(admin)
        config.auth = auth
        config.login.handshakeTimeout = loginTimeout
        config.login.maxPending = maxPendingLogins
        config.actionSetDirs = actionsets
        config.tls = tlsCert.map { ServerTLS.Files(certificate: $0, privateKey: tlsKey ?? "", chain: tlsCa) }
        config.allowPlaintextPasswords = allowPlaintextPasswords
        return config
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        // Before the server starts: a signal during start-up still stops it once it is up.
        let signals = try StopSignals.install([SIGTERM, SIGINT], reload: tlsCert == nil ? nil : SIGHUP, deadline: Self.stopDeadline)
        // SQLite's own memory (fedSql's sorts and temporaries) is capped at the server's budget too
        SQLiteHeap.limit(config.maxMemory ?? MemoryBudget.defaults.server)
        let server = try await CASServer.start(config, sets: StandardRegistry.sets)
        if auth == .none {
            FileHandle.standardError.write(Data("WARNING: --auth none: any local user name is accepted without a password. Listening on loopback only.\n".utf8))
        }
        if allowPlaintextPasswords && tlsCert == nil && auth == .password && !Login.isLoopback(host) {
            FileHandle.standardError.write(Data("WARNING: --allow-plaintext-passwords: passwords and tables cross the network to \(host) in clear text; serve TLS with --tls-cert/--tls-key instead.\n".utf8))
        }
        if let httpPortFile, let p = server.httpPort { try "\(p)\n".write(toFile: httpPortFile, atomically: true, encoding: .utf8) }
        if let portFile { try "\(server.port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        printBanner(server)
        let reloads = Task { for await _ in signals.reload { _ = try? server.reloadTLS() } }
        for await sig in signals.stop {
            FileHandle.standardError.write(Data("caslite: signal \(sig): stopping (closing connections, cancelling running calls)\n".utf8))
            break
        }
        reloads.cancel()
        await server.stop()
        // Leave without exit handlers (see StopSignals.exitNow); the deadline thread ends a stuck flush.
        fflush(nil)
        _exit(0)
    }

    /// Where the server listens and how clients reach it.
    func printBanner(_ server: CASServer) {
        let tls = server.tls != nil
        print("caslite \(ServerContext.version) listening on \(host):\(server.port)\(tls ? " (TLS)" : ""), data \(data)")
        if let p = server.httpPort {
            // a wildcard address is where the server listens, not a host to connect to: clients use the machine's name
            let reach = ["0.0.0.0", "::", "[::]"].contains(host) ? "HOST" : host
            let url = "\(tls ? "https" : "http")://\(reach):\(p)"
            print("caslite REST for swat on \(url)  (swat.CAS(\"\(url)\", username=…, password=…)\(tls ? " with CAS_CLIENT_SSL_CA_LIST=ca.pem for a private CA" : ""))")
        }
        fflush(nil)
    }
}
