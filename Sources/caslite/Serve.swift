import ArgumentParser
import CASCluster
import CASCore
import CASServer
import CASStorage
import CASStandardSets
import CASTLS
import Foundation
import Logging

extension AuthMode: ExpressibleByArgument {}
extension MetricsAccess: ExpressibleByArgument {}

/// `caslite serve`: runs the shared server until SIGTERM or SIGINT, then stops in order (listeners
/// closed, client connections closed, running calls cancelled) and exits 0; a stop that takes over
/// `stopDeadline` seconds, or a second signal, exits 1 at once. With `--tls-cert`, SIGHUP reloads
/// the certificate for new connections (docs/security.md "TLS").
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the caslite server.")

    /// Seconds the orderly stop may take after a signal.
    static let stopDeadline = 10.0

    @Option(name: .long, help: "Configuration file (TOML, one key per option; docs/operations.md). Default: \(ServeConfigFile.defaultPath) when it exists; --config none reads none. Options given here override it.")
    var config: String?

    @Option(name: .long, help: "Address to listen on (default \(ServerConfig().host)).")
    var host: String?

    @Option(name: .long, help: "Port to listen on; 0 picks a free port (default \(ServerConfig().port)).")
    var port: Int?

    @Option(name: .long, help: "Data folder (caslibs live under it; default \(ServerConfig().dataRoot)).")
    var data: String?

    @Option(name: .long, help: "Write the bound port to this file once listening.")
    var portFile: String?

    @Option(name: .long, help: "Also serve the REST protocol of the Python swat client on this port (docs/python.md), with /healthz, /readyz and /metrics; 0 picks a free port.")
    var httpPort: Int?

    @Option(name: .long, help: "Write the bound REST port to this file once listening.")
    var httpPortFile: String?

    @Option(name: .long, help: "Default idle time-out of sessions, in seconds (default \(Int(ServerConfig().sessionTimeout))).")
    var sessionTimeout: Double?

    @Option(name: .long, help: "Longest accepted request line (JSON-lines) or request body (REST), in bytes, once a client has logged in (default \(ServerConfig().maxLineLength)).")
    var maxLine: Int?

    @Option(name: .long, help: "Most memory tables and running actions may hold in the whole server, e.g. 16G or 512M (default: 75% of physical memory).")
    var maxMemory: String?

    @Option(name: .long, help: "Most memory one session may hold, e.g. 4G (default: half of --max-memory).")
    var maxSessionMemory: String?

    @Option(name: .long, help: "How connections authenticate: password (users from `caslite users`; the default) or none (loopback only).")
    var auth: AuthMode?

    @Option(name: .long, help: "Seconds a new connection has to log in before it is closed (lines are limited to 64 KiB until then; default \(Int(LoginLimits().handshakeTimeout))).")
    var loginTimeout: Double?

    @Option(name: .long, help: "Connections that have not logged in yet, over both ports; more are refused at once (default \(LoginLimits().maxPending)).")
    var maxPendingLogins: Int?

    @Option(name: .long, help: "PEM certificate (optionally followed by intermediates): serve TLS on the JSON-lines port and HTTPS on --http-port. Reloaded on SIGHUP.")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key of --tls-cert (unencrypted; keep it mode 600).")
    var tlsKey: String?

    @Option(name: .long, help: "PEM intermediate CA certificates sent after --tls-cert.")
    var tlsCa: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Accept passwords in clear text on a non-loopback --host without TLS (refused otherwise).")
    var allowPlaintextPasswords: Bool?

    @Option(name: .long, parsing: .upToNextOption, help: "Users with the administrator role.")
    var admin: [String] = []

    @Option(name: .long, help: "A folder of *.casl action-set definitions (builtins.defineActionSet calls) to load at start. Repeatable.")
    var actionsets: [String] = []

    @Option(name: .long, help: "Log lines as text (the default) or json (one object per line: time, level, message, and session, user, action, request, elapsed, severity where known).")
    var logFormat: LogFormat?

    @Option(name: .long, help: "Who may read /metrics on the REST port: admin (HTTP Basic credentials of an administrator; the default) or open (anyone who reaches the port; per-session and per-table series left out). docs/security.md \"Metrics\".")
    var metricsAccess: MetricsAccess?

    @Flag(name: .long, help: "Run as one rank of an MPI job: `mpirun --enable-recovery -np N caslite serve --mpi …` (docs/scale-out.md). Rank 0 is the controller (it alone listens, with these options); ranks 1…N-1 are workers that hold the tables' rows.")
    var mpi = false

    @Option(name: .long, help: "With --mpi: seconds (3 or more) without a heartbeat after which a worker (or, seen from a worker, the controller) counts as lost (default 10).")
    var workerTimeout: Double = 10

    /// The configuration file to read: --config, else the default path when it exists; none for `--config none`.
    var configFile: String? {
        if let config { return config == "none" ? nil : config }
        return FileManager.default.fileExists(atPath: ServeConfigFile.defaultPath) ? ServeConfigFile.defaultPath : nil
    }

    /// Defaults, then the configuration file, then the flags given; checked.
    func settings() throws -> ServeSettings {
        var s = ServeSettings()
        if let file = configFile { try ServeConfigFile.load(file, into: &s) }
        func flag<T>(_ value: T?, _ name: String, _ set: (inout ServeSettings, T) -> Void) {
            guard let value else { return }
            set(&s, value)
            s.origin[name] = "--\(name)"
        }
        flag(host, "host") { $0.host = $1 }
        flag(port, "port") { $0.port = $1 }
        flag(data, "data") { $0.data = $1 }
        flag(portFile, "port-file") { $0.portFile = $1 }
        flag(httpPort, "http-port") { $0.httpPort = $1 }
        flag(httpPortFile, "http-port-file") { $0.httpPortFile = $1 }
        flag(sessionTimeout, "session-timeout") { $0.sessionTimeout = $1 }
        flag(maxLine, "max-line") { $0.maxLine = $1 }
        flag(maxMemory, "max-memory") { $0.maxMemory = $1 }
        flag(maxSessionMemory, "max-session-memory") { $0.maxSessionMemory = $1 }
        flag(auth, "auth") { $0.auth = $1 }
        flag(loginTimeout, "login-timeout") { $0.loginTimeout = $1 }
        flag(maxPendingLogins, "max-pending-logins") { $0.maxPendingLogins = $1 }
        flag(tlsCert, "tls-cert") { $0.tlsCert = $1 }
        flag(tlsKey, "tls-key") { $0.tlsKey = $1 }
        flag(tlsCa, "tls-ca") { $0.tlsCa = $1 }
        flag(allowPlaintextPasswords, "allow-plaintext-passwords") { $0.allowPlaintextPasswords = $1 }
        flag(admin.isEmpty ? nil : admin, "admin") { $0.admin = $1 }
        flag(actionsets.isEmpty ? nil : actionsets, "actionsets") { $0.actionsets = $1 }
        flag(logFormat, "log-format") { $0.logFormat = $1 }
        flag(metricsAccess, "metrics-access") { $0.metricsAccess = $1 }
        try s.check()
        return s
    }

    func run() async throws {
        let settings: ServeSettings
        do { settings = try self.settings() } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var config = settings.config
        if mpi {
            // before the data folder is touched: workers never open it
            // heartbeats go every second: a shorter time-out would drop workers that are only a beat late
            guard workerTimeout >= 3, workerTimeout <= 86_400 else {
                FileHandle.standardError.write(Data("Error: --worker-timeout must be between 3 and 86400 seconds, not \(workerTimeout).\n".utf8))
                throw ExitCode(2)
            }
            config.cluster = try Self.joinCluster(timeout: workerTimeout)
        }
        try DataFolderFormats.check(settings.data)
        switch settings.logFormat {
        case .text: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
        // Before the server starts: a signal during start-up still stops it once it is up.
        let signals = try StopSignals.install([SIGTERM, SIGINT], reload: settings.tlsCert == nil ? nil : SIGHUP, deadline: Self.stopDeadline)
        // SQLite's own memory (fedSql's sorts and temporaries) is capped at the server's budget too
        SQLiteHeap.limit(config.maxMemory ?? MemoryBudget.defaults.server)
        let server = try await CASServer.start(config, sets: StandardRegistry.sets)
        if settings.auth == .none {
            FileHandle.standardError.write(Data("WARNING: --auth none: any local user name is accepted without a password. Listening on loopback only.\n".utf8))
        }
        if settings.allowPlaintextPasswords && settings.tlsCert == nil && settings.auth == .password && !Login.isLoopback(settings.host) {
            FileHandle.standardError.write(Data("WARNING: --allow-plaintext-passwords: passwords and tables cross the network to \(settings.host) in clear text; serve TLS with --tls-cert/--tls-key instead.\n".utf8))
        }
        if let httpPortFile = settings.httpPortFile, let p = server.httpPort { try "\(p)\n".write(toFile: httpPortFile, atomically: true, encoding: .utf8) }
        if let portFile = settings.portFile { try "\(server.port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        printBanner(server, settings)
        let reloads = Task { for await _ in signals.reload { _ = try? server.reloadTLS() } }
        for await sig in signals.stop {
            FileHandle.standardError.write(Data("caslite: signal \(sig): stopping (closing connections, cancelling running calls)\n".utf8))
            break
        }
        reloads.cancel()
        await server.stop()
        (config.cluster as? ClusterController)?.stop()
        // Leave without exit handlers (see StopSignals.exitNow); the deadline thread ends a stuck flush.
        fflush(nil)
        _exit(0)
    }

    /// `--mpi`: joins the MPI job. A worker rank never returns from here; the controller gets its cluster (nil when
    /// the job has no workers: then it is an ordinary one-process server).
    static func joinCluster(timeout: Double) throws -> ClusterController? {
        let world: MPIWorld
        do { world = try MPIWorld.start() } catch {
            FileHandle.standardError.write(Data("Error: --mpi: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if world.rank != 0 { ClusterWorker.run(world: world, timeout: timeout, kernels: StandardRegistry.partitionKernels) }
        guard world.size > 1 else {
            FileHandle.standardError.write(Data("WARNING: --mpi with one rank: no workers, every table stays in this process (start it with mpirun -np N, N ≥ 2).\n".utf8))
            return nil
        }
        let cluster = try ClusterController(world: world, timeout: timeout)
        let down = cluster.nodes().filter { $0.state == .down }.count
        FileHandle.standardError.write(Data("caslite: MPI controller with \(world.size - 1) worker(s)\(down > 0 ? ", \(down) not answering" : "")\n".utf8))
        return cluster
    }

    /// Where the server listens and how clients reach it.
    func printBanner(_ server: CASServer, _ settings: ServeSettings) {
        let host = settings.host, data = settings.data
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
