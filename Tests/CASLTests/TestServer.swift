import CASClient
import CASServer
import CASWire
import Foundation
import Logging
import Synchronization
import Testing

// Copied from Tests/CASServerTests/TestServer.swift (test targets cannot share files), plus a
// data root that can be reused across a restart and action-set folders loaded at start.

/// A real server on 127.0.0.1, port 0, over a temporary data folder.
final class TestServer: Sendable {
    let server: CASServer
    let dataRoot: String
    /// Every connection made, closed by `stop()`: a CASConnection released unclosed can crash the
    /// process (NIOAsyncWriter deinit without finish), so tests never leave one open.
    private let connections = Mutex<[CASConnection]>([])

    static func freshRoot() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-casl-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }

    static func start(root: String? = nil, actionSetDirs: [String] = []) async throws -> TestServer {
        let root = try root ?? freshRoot()
        var c = ServerConfig()
        c.port = 0
        c.dataRoot = root
        c.actionSetDirs = actionSetDirs
        return TestServer(server: try await CASServer.start(c, logger: Logger(label: "test") { _ in NoLogging() }), dataRoot: root)
    }

    private init(server: CASServer, dataRoot: String) {
        self.server = server
        self.dataRoot = dataRoot
    }

    func connect(_ user: String = "alice") async throws -> CASConnection {
        let c = try await CASConnection.connect(host: "127.0.0.1", port: server.port, user: user)
        connections.withLock { $0.append(c) }
        return c
    }

    /// Copies examples/data/*.csv into the Public caslib's folder (what `make demo` does).
    func copyExampleData() throws {
        let fm = FileManager.default
        let src = Examples.root + "/data"
        try fm.createDirectory(atPath: "\(dataRoot)/public", withIntermediateDirectories: true)
        for f in try fm.contentsOfDirectory(atPath: src) where f.hasSuffix(".csv") {
            try? fm.removeItem(atPath: "\(dataRoot)/public/\(f)")
            try fm.copyItem(atPath: "\(src)/\(f)", toPath: "\(dataRoot)/public/\(f)")
        }
    }

    /// Stops the server; `keep` leaves the data folder for a restart.
    func stop(keep: Bool = false) async {
        for c in connections.withLock({ $0 }) { await c.close() }
        await server.stop()
        if !keep { try? FileManager.default.removeItem(atPath: dataRoot) }
    }
}

/// The repository's examples folder.
enum Examples {
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples").path
    }
}

struct NoLogging: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .critical
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
    func log(event: LogEvent) {}
}

extension Response {
    var errorText: String { logs.filter { $0.level == .error }.map(\.message).joined(separator: " | ") }
    var notes: [String] { logs.filter { $0.level == .note }.map(\.message) }
}

/// Runs `body` against a fresh server and stops it (closing its connections) however `body` ends.
func withServer(actionSetDirs: [String] = [], _ body: (TestServer) async throws -> Void) async throws {
    let s = try await TestServer.start(actionSetDirs: actionSetDirs)
    do {
        try await body(s)
    } catch {
        await s.stop()
        throw error
    }
    await s.stop()
}

/// Calls and requires a non-Error disposition.
@discardableResult
func ok(_ conn: CASConnection, _ action: String, _ params: ValueDict = ValueDict(), sourceLocation: SourceLocation = #_sourceLocation) async throws -> Response {
    let r = try await conn.call(action, params)
    #expect(r.disposition.severity != .error, "\(action) failed: \(r.errorText)", sourceLocation: sourceLocation)
    return r
}

/// Calls and requires an Error disposition whose messages contain every fragment.
@discardableResult
func fails(_ conn: CASConnection, _ action: String, _ params: ValueDict = ValueDict(), _ fragments: String...,
           sourceLocation: SourceLocation = #_sourceLocation) async throws -> Response {
    let r = try await conn.call(action, params)
    #expect(r.disposition.severity == .error, "\(action) should fail", sourceLocation: sourceLocation)
    for f in fragments { #expect(r.errorText.contains(f), "'\(f)' not in: \(r.errorText)", sourceLocation: sourceLocation) }
    return r
}

/// Runs a script through `sccasl.runCasl` (loading the set first).
func casl(_ conn: CASConnection, _ code: String, vars: ValueDict = ValueDict()) async throws -> Response {
    _ = try await conn.call("builtins.loadActionSet", ["actionSet": "sccasl"])
    return try await conn.call("sccasl.runCasl", ["code": .string(code), "vars": .dict(vars)])
}
