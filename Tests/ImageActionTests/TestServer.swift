// Copied from Tests/CASServerTests/TestServer.swift (test targets cannot share files), trimmed to
// what the image tests use, plus byte-file writing into the caslib folder.
import CASClient
import CASServer
import CASWire
import Foundation
import Logging
import Testing

/// A real server on 127.0.0.1, port 0, over a fresh temporary data folder.
final class TestServer: Sendable {
    let server: CASServer
    let dataRoot: String

    static func start() async throws -> TestServer {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-imgtest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var c = ServerConfig()
        c.port = 0
        c.dataRoot = root
        return TestServer(server: try await CASServer.start(c, logger: .init(label: "test") { _ in NoOpLogHandler() }), dataRoot: root)
    }

    private init(server: CASServer, dataRoot: String) {
        self.server = server
        self.dataRoot = dataRoot
    }

    /// A connection with the image action set loaded.
    func connect(_ user: String = "alice") async throws -> CASConnection {
        let c = try await CASConnection.connect(host: "127.0.0.1", port: server.port, user: user)
        try await ok(c, "builtins.loadActionSet", ["actionSet": "image"])
        return c
    }

    /// The user's personal caslib folder.
    func casuser(_ user: String = "alice") -> String { "\(dataRoot)/casuser/\(user)" }

    /// Writes bytes into a user's personal caslib folder (folders created).
    func write(_ bytes: [UInt8], to path: String, user: String = "alice") throws {
        let url = URL(fileURLWithPath: "\(casuser(user))/\(path)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(atPath: dataRoot)
    }

    /// Runs `body` against a fresh server and connection, stopping the server afterwards.
    static func with(_ body: (TestServer, CASConnection) async throws -> Void) async throws {
        let s = try await start()
        let c = try await s.connect()
        do { try await body(s, c) } catch {
            await c.close()
            await s.stop()
            throw error
        }
        await c.close()
        await s.stop()
    }
}

struct NoOpLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .critical
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
    func log(event: LogEvent) {}
}

extension Response {
    var errorText: String { logs.filter { $0.level == .error }.map(\.message).joined(separator: " | ") }
    var warnings: [String] { logs.filter { $0.level == .warning }.map(\.message) }
    var notes: [String] { logs.filter { $0.level == .note }.map(\.message) }
    /// A result table by key.
    func table(_ key: String) -> DataTable? { results[key]?.tableValue }
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

/// The whole session table `name`, fetched with table.fetch (all rows).
func fetchAll(_ c: CASConnection, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> DataTable {
    let r = try await ok(c, "table.fetch", ["table": ["name": .string(name)], "to": 100_000, "maxRows": 100_000, "index": false],
                         sourceLocation: sourceLocation)
    return try #require(r.table("Fetch"), sourceLocation: sourceLocation)
}

extension DataTable {
    /// Strings of a column (nil cells kept).
    func strings(_ name: String) -> [String?] {
        guard let c = column(name) else { return [] }
        return (0..<rowCount).map { c.data.value(at: $0).stringValue }
    }

    func ints(_ name: String) -> [Int?] {
        guard let c = column(name) else { return [] }
        return (0..<rowCount).map { c.data.double(at: $0).map { Int($0) } }
    }

    func blobs(_ name: String) -> [[UInt8]?] {
        guard let c = column(name), case .varbinary(let a) = c.data else { return [] }
        return a
    }
}
