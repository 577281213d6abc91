import ArgumentParser
import CASCore
import CASServer
import Foundation
import Logging

/// `caslite serve`: runs the shared server.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the caslite server.")

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on; 0 picks a free port.")
    var port: Int = 5570

    @Option(name: .long, help: "Data folder (caslibs live under it).")
    var data: String = "./caslite-data"

    @Option(name: .long, help: "Write the bound port to this file once listening.")
    var portFile: String?

    @Option(name: .long, help: "Also serve the REST protocol of the Python swat client on this port (docs/python.md); 0 picks a free port.")
    var httpPort: Int?

    @Option(name: .long, help: "Write the bound REST port to this file once listening.")
    var httpPortFile: String?

    @Option(name: .long, help: "Default idle time-out of sessions, in seconds.")
    var sessionTimeout: Double = 3600

    @Option(name: .long, help: "Longest accepted request line, in bytes.")
    var maxLine: Int = 256 << 20

    @Option(name: .long, help: "Most memory tables and running actions may hold in the whole server, e.g. 16G or 512M (default: 75% of physical memory).")
    var maxMemory: String?

    @Option(name: .long, help: "Most memory one session may hold, e.g. 4G (default: half of --max-memory).")
    var maxSessionMemory: String?

    @Option(name: .long, help: "How connections authenticate: password (users from `caslite users`) or none (loopback only).")
    var auth: String = "password"

    @Option(name: .long, parsing: .upToNextOption, help: "Users with the administrator role.")
    var admin: [String] = []

    @Option(name: .long, help: "A folder of *.casl action-set definitions (builtins.defineActionSet calls) to load at start. Repeatable.")
    var actionsets: [String] = []

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var config = ServerConfig()
        config.host = host
        config.port = port
        config.httpPort = httpPort
        config.dataRoot = data
        config.sessionTimeout = sessionTimeout
        config.maxLineLength = maxLine
        for (flag, value) in [("--max-memory", maxMemory), ("--max-session-memory", maxSessionMemory)] {
            if let value, ByteCount.parse(value) == nil { throw ValidationError("\(flag) must be a size such as 16G, 512M or 1048576; got '\(value)'") }
        }
        config.maxMemory = maxMemory.flatMap { ByteCount.parse($0) }
        config.maxSessionMemory = maxSessionMemory.flatMap { ByteCount.parse($0) }
        config.admins = Set(admin)
        guard let mode = AuthMode(rawValue: auth) else { throw ValidationError("--auth must be password or none") }
        if mode == .none {
            guard ["127.0.0.1", "localhost", "::1"].contains(host) else {
                throw ValidationError("--auth none is only allowed on a loopback address (127.0.0.1, ::1); use --auth password with `caslite users add`")
            }
            FileHandle.standardError.write(Data("WARNING: --auth none: any local user name is accepted without a password. Listening on loopback only.\n".utf8))
        }
        config.auth = mode
        config.actionSetDirs = actionsets
        let server = try await CASServer.start(config)
        if let httpPortFile, let p = server.httpPort { try "\(p)\n".write(toFile: httpPortFile, atomically: true, encoding: .utf8) }
        if let portFile { try "\(server.port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        print("caslite \(server.context.version) listening on \(host):\(server.port), data \(data)")
        if let p = server.httpPort { print("caslite REST for swat on http://\(host):\(p)  (swat.CAS(\"http://\(host):\(p)\", username=…, password=…))") }
        FileHandle.standardOutput.synchronizeFile()
        let signals = [SIGTERM, SIGINT].map { (sig: Int32) -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig)
            // Open client connections would keep the listener's task group alive; a signal ends the process.
            // _exit after the orderly stop: exit() would run C++/OpenMP static destructors while
            // oneDNN's and dispatch's worker threads still exist (seen: SIGSEGV in __run_exit_handlers)
            s.setEventHandler {
                Task { () async -> Void in await server.stop(); fflush(nil); _exit(0) }
                // a call that ignores cancellation (or a stuck client) must not keep the process alive:
                // SQLite writes are transactions, so a cut-off save leaves the last committed state
                DispatchQueue.global().asyncAfter(deadline: .now() + 10) {
                    FileHandle.standardError.write(Data("caslite: stopping took over 10 s; exiting now\n".utf8))
                    fflush(nil)
                    _exit(1)
                }
            }
            s.resume()
            return s
        }
        await server.wait()
        _ = signals
        // the signal handler's stop also ends wait(): leave the same way, without exit handlers
        fflush(nil)
        _exit(0)
    }
}
