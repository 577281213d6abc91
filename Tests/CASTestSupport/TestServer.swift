import CASClient
import CASServer
import CASWire
import Foundation
import Logging
import Synchronization

/// A real caslite server on 127.0.0.1, port 0, over a temporary data folder — shared by every
/// end-to-end test target. Connections made through it are closed by `stop()`: a CASConnection
/// released unclosed must never be what ends a test.
public final class TestServer: Sendable {
    public let server: CASServer
    public let dataRoot: String
    /// Action sets every `connect()` loads (e.g. `["image"]`).
    public let loadSets: [String]
    private let connections = Mutex<[CASConnection]>([])

    /// A fresh, empty temporary folder.
    public static func freshRoot() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }

    public static func start(admins: Set<String> = [], timeout: Double = 3600, reapInterval: Double = 30, maxLine: Int = 1 << 20,
                             auth: AuthMode = .none, dataRoot: String? = nil, actionSetDirs: [String] = [],
                             loadSets: [String] = [], maxMemory: Int? = nil, maxSessionMemory: Int? = nil) async throws -> TestServer {
        let root = try dataRoot ?? freshRoot()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var c = ServerConfig()
        c.port = 0
        c.dataRoot = root
        c.admins = admins
        c.sessionTimeout = timeout
        c.reapInterval = reapInterval
        c.maxLineLength = maxLine
        c.auth = auth
        c.actionSetDirs = actionSetDirs
        c.maxMemory = maxMemory
        c.maxSessionMemory = maxSessionMemory
        let server = try await CASServer.start(c, logger: Logger(label: "test") { _ in SilentLogHandler() })
        return TestServer(server: server, dataRoot: root, loadSets: loadSets)
    }

    private init(server: CASServer, dataRoot: String, loadSets: [String]) {
        self.server = server
        self.dataRoot = dataRoot
        self.loadSets = loadSets
    }

    /// Connects (re-attaching when `session` is given) and loads `loadSets`.
    public func connect(_ user: String = "alice", session: String? = nil, password: String? = nil) async throws -> CASConnection {
        let c = try await CASConnection.connect(host: "127.0.0.1", port: server.port, user: user, password: password, session: session)
        connections.withLock { $0.append(c) }
        for set in loadSets {
            let r = try await c.call("builtins.loadActionSet", ["actionSet": .string(set)])
            guard r.disposition.severity != .error else { throw ClientError("cannot load action set \(set): \(r.errorText)") }
        }
        return c
    }

    /// A user's personal caslib folder.
    public func casuser(_ user: String = "alice") -> String { "\(dataRoot)/casuser/\(user)" }

    /// Writes a file into a user's personal caslib folder (folders created).
    public func write(_ bytes: [UInt8], to path: String, user: String = "alice") throws {
        let url = URL(fileURLWithPath: "\(casuser(user))/\(path)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    public func write(_ text: String, to path: String, user: String = "alice") throws {
        try write(Array(text.utf8), to: path, user: user)
    }

    /// Closes every connection, stops the server and (unless `keepData`, for a restart) removes the data folder.
    public func stop(keepData: Bool = false) async {
        for c in connections.withLock({ $0 }) { await c.close() }
        await server.stop()
        if !keepData { try? FileManager.default.removeItem(atPath: dataRoot) }
    }

    /// Runs `body` against a fresh server and a first connection, stopping the server however `body` ends.
    public static func with(loadSets: [String] = [], _ body: (TestServer, CASConnection) async throws -> Void) async throws {
        let s = try await start(loadSets: loadSets)
        do {
            try await body(s, try await s.connect())
        } catch {
            await s.stop()
            throw error
        }
        await s.stop()
    }
}

/// Runs `body` against a fresh server and stops it however `body` ends.
public func withServer(actionSetDirs: [String] = [], _ body: (TestServer) async throws -> Void) async throws {
    let s = try await TestServer.start(actionSetDirs: actionSetDirs)
    do {
        try await body(s)
    } catch {
        await s.stop()
        throw error
    }
    await s.stop()
}

/// Drops the server's log output during tests.
public struct SilentLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .critical
    public init() {}
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
    public func log(event: LogEvent) {}
}
