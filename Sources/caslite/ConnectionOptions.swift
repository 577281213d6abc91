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

    @Option(name: .long, help: "User name.")
    var user: String = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "caslite"

    @Option(name: .long, help: "Password (prefer CASLITE_PASSWORD in the environment).")
    var password: String?

    @Option(name: .long, help: "Re-attach to this session UUID.")
    var session: String?

    @Option(name: .long, help: "Data folder of the embedded server.")
    var data: String = "./caslite-data"

    /// Connects; returns the connection and, for the embedded case, the server to stop afterwards.
    func connect() async throws -> (CASConnection, CASServer?) {
        let pw = password ?? ProcessInfo.processInfo.environment["CASLITE_PASSWORD"]
        if let server {
            let parts = server.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--server must be HOST:PORT, got '\(server)'") }
            return (try await CASConnection.connect(host: String(parts[0]), port: port, user: user, password: pw, session: session), nil)
        }
        var config = ServerConfig()
        config.port = 0
        config.dataRoot = data
        config.auth = .none  // the local user, on a loopback port of its own
        let embedded = try await CASServer.start(config, sets: StandardRegistry.sets, logger: .init(label: "caslite.embedded") { _ in SwiftLogNoOpLogHandler() })
        let conn = try await CASConnection.connect(host: "127.0.0.1", port: embedded.port, user: user, password: pw, session: session)
        return (conn, embedded)
    }
}
