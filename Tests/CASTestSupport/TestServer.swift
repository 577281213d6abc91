import ActionSetAccessControl
import ActionSetAggregation
import ActionSetBuiltins
import ActionSetDataPreprocess
import ActionSetDataStep
import ActionSetDeduplication
import ActionSetFedSql
import ActionSetPercentile
import ActionSetSCCASL
import ActionSetSession
import ActionSetSessionProp
import ActionSetSimple
import ActionSetTable
import ActionSetTranspose
import CASClient
import CASCore
import CASServer
import CASStorage
import CASTLS
import CASWire
import Foundation
import Logging
import Synchronization

/// A real caslite server on 127.0.0.1, port 0, over a temporary data folder — shared by every
/// end-to-end test target. Connections made through it are closed by `stop()`: a CASConnection
/// released unclosed must never be what ends a test.
///
/// ```swift
/// try await TestServer.start(admins: ["root"]).run { s in
///     let c = try await s.connect("root")
///     …
/// }   // stopped however the body ends
/// ```
public final class TestServer: Sendable {
    public let server: CASServer
    public let dataRoot: String
    /// Action sets every `connect()` loads (e.g. `["image"]`).
    public let loadSets: [String]
    private let connections = Mutex<[CASConnection]>([])

    /// The light standard sets (no oneDNN, OpenBLAS, HDF5 or image codecs) and the tests' own
    /// `testing` set. Targets that test heavier sets pass them in `sets:`.
    public static let coreSets: [ActionSet] = [
        builtinsActionSet, sessionActionSet, sessionPropActionSet, tableActionSet, accessControlActionSet, simpleActionSet,
        percentileActionSet, aggregationActionSet, datapreprocessActionSet, deduplicationActionSet, transposeActionSet, dataStepActionSet, fedSqlActionSet, sccaslActionSet, testingActionSet,
    ]

    /// A fresh, empty temporary folder.
    public static func freshRoot() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }

    /// Starts a server. `users` are added to `<data>/server.sqlite` first (name, password, admin);
    /// `http` also starts the REST front end; `maxMemory`/`maxSessionMemory` set the memory budget.
    public static func start(sets: [ActionSet] = coreSets, admins: Set<String> = [], timeout: Double = 3600, reapInterval: Double = 30,
                             maxLine: Int = 1 << 20, auth: AuthMode = .none, users: [(String, String, Bool)] = [], login: LoginLimits = LoginLimits(),
                             http: Bool = false, dataRoot: String? = nil, actionSetDirs: [String] = [], loadSets: [String] = [],
                             maxMemory: Int? = nil, maxSessionMemory: Int? = nil, tls: ServerTLS.Files? = nil,
                             log: CapturedLog? = nil) async throws -> TestServer {
        let root = try dataRoot ?? freshRoot()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if !users.isEmpty {
            let store = try ServerStore(path: root + "/server.sqlite")
            for (name, password, admin) in users { try await store.addUser(name, password: password, admin: admin, now: 0) }
        }
        var c = ServerConfig()
        c.port = 0
        c.httpPort = http ? 0 : nil
        c.dataRoot = root
        c.admins = admins
        c.sessionTimeout = timeout
        c.reapInterval = reapInterval
        c.maxLineLength = maxLine
        c.auth = auth
        c.login = login
        c.actionSetDirs = actionSetDirs
        c.maxMemory = maxMemory
        c.maxSessionMemory = maxSessionMemory
        c.tls = tls
        let logger = log.map { l in Logger(label: "test") { _ in CapturingLogHandler(captured: l) } } ?? Logger(label: "test") { _ in SilentLogHandler() }
        let server = try await CASServer.start(c, sets: sets, logger: logger)
        return TestServer(server: server, dataRoot: root, loadSets: loadSets)
    }

    private init(server: CASServer, dataRoot: String, loadSets: [String]) {
        self.server = server
        self.dataRoot = dataRoot
        self.loadSets = loadSets
    }

    /// Connects over JSON-lines (re-attaching when `session` is given; over TLS with `tls`) and loads `loadSets`.
    public func connect(_ user: String = "alice", session: String? = nil, password: String? = nil, from source: String? = nil,
                        tls: TLSOptions? = nil) async throws -> CASConnection {
        let c = try await CASConnection.connect(host: "127.0.0.1", port: server.port, user: user, password: password, session: session,
                                                localAddress: source, tls: tls)
        connections.withLock { $0.append(c) }
        for set in loadSets {
            let r = try await c.call("builtins.loadActionSet", ["actionSet": .string(set)])
            guard r.disposition.severity != .error else { throw ClientError("cannot load action set \(set): \(r.errorText)") }
        }
        return c
    }

    /// Connects over `transport` (`.rest` needs `start(http: true)`; over TLS trusting `caFile` when given) and loads `loadSets`.
    public func client(_ transport: Transport, _ user: String = "alice", password: String? = nil, session: String? = nil,
                       caFile: String? = nil) async throws -> any TestClient {
        switch transport {
        case .jsonLines:
            return try await connect(user, session: session, password: password, tls: caFile.map { TLSOptions(caFile: $0) })
        case .rest:
            guard let port = server.httpPort else { throw ClientError("start the server with http: true for REST clients") }
            let tls = try caFile.map { f throws(TLSError) in try ClientTLS(caFile: f) }
            let c = try await RESTTestClient.connect(port: port, user: user, password: password ?? "pw", session: session, tls: tls)
            for set in loadSets { try await c.expectOK("builtins.loadActionSet", ["actionSet": .string(set)]) }
            return c
        }
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

    /// Runs `body` against this server and stops it however `body` ends (`keepData` for a restart).
    @discardableResult
    public func run<T>(keepData: Bool = false, _ body: (TestServer) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            await stop(keepData: keepData)
            return result
        } catch {
            await stop(keepData: keepData)
            throw error
        }
    }

    /// Runs `body` against a fresh server and a first connection, stopping the server however `body` ends.
    public static func with(sets: [ActionSet] = coreSets, loadSets: [String] = [], _ body: (TestServer, CASConnection) async throws -> Void) async throws {
        try await start(sets: sets, loadSets: loadSets).run { s in try await body(s, try await s.connect()) }
    }
}

/// Runs `body` against a fresh server and stops it however `body` ends.
public func withServer(sets: [ActionSet] = TestServer.coreSets, actionSetDirs: [String] = [], _ body: (TestServer) async throws -> Void) async throws {
    try await TestServer.start(sets: sets, actionSetDirs: actionSetDirs).run(body)
}

/// The lines a test's server or login logged (`CapturingLogHandler`), level and message.
public final class CapturedLog: Sendable {
    public let lines = Mutex<[(Logger.Level, String)]>([])
    public init() {}
}

/// Keeps the log lines at `info` and above in a `CapturedLog`.
public struct CapturingLogHandler: LogHandler {
    let captured: CapturedLog
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public init(captured: CapturedLog) { self.captured = captured }
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
    public func log(event: LogEvent) { captured.lines.withLock { $0.append((event.level, "\(event.message)")) } }
}

/// Drops the server's log output during tests.
public struct SilentLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .critical
    public init() {}
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
    public func log(event: LogEvent) {}
}
