// Copied from Tests/CASServerTests/TestServer.swift (test targets cannot share files).
import CASClient
import CASServer
import CASWire
import Foundation
import Testing

/// A real server on 127.0.0.1, port 0, over a fresh temporary data folder.
final class TestServer: Sendable {
    let server: CASServer
    let dataRoot: String

    static func start(admins: Set<String> = [], timeout: Double = 3600, reapInterval: Double = 30, maxLine: Int = 1 << 20,
                      auth: AuthMode = .none, dataRoot: String? = nil) async throws -> TestServer {
        let root = dataRoot ?? FileManager.default.temporaryDirectory.appendingPathComponent("caslite-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var c = ServerConfig()
        c.port = 0
        c.dataRoot = root
        c.admins = admins
        c.sessionTimeout = timeout
        c.reapInterval = reapInterval
        c.maxLineLength = maxLine
        c.auth = auth
        return TestServer(server: try await CASServer.start(c, logger: .init(label: "test") { _ in SwiftLogNoOpLogHandlerShim() }), dataRoot: root)
    }

    private init(server: CASServer, dataRoot: String) {
        self.server = server
        self.dataRoot = dataRoot
    }

    func connect(_ user: String = "alice", session: String? = nil, password: String? = nil) async throws -> CASConnection {
        try await CASConnection.connect(host: "127.0.0.1", port: server.port, user: user, password: password, session: session)
    }

    /// Writes a file into a user's personal caslib folder.
    func write(_ text: String, to path: String, user: String = "alice") throws {
        let url = URL(fileURLWithPath: "\(dataRoot)/casuser/\(user)/\(path)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func stop(keepData: Bool = false) async {
        await server.stop()
        if !keepData { try? FileManager.default.removeItem(atPath: dataRoot) }
    }
}

import Logging
struct SwiftLogNoOpLogHandlerShim: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .critical
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
    func log(event: LogEvent) {}
}

extension Response {
    var ok: Bool { disposition.severity == .normal }
    var errorText: String { logs.filter { $0.level == .error }.map(\.message).joined(separator: " | ") }
}

/// Calls and requires a Normal disposition.
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

/// An inline table of every column type.
let allTypesVars: Value = [
    ["name": "d", "type": "double", "label": "A double", "format": "BEST12."],
    ["name": "l", "type": "int64"], ["name": "i", "type": "int32"], ["name": "s", "type": "varchar"],
    ["name": "b", "type": "varbinary", "attributes": ["MIMEType": "image/png"]],
]
let allTypesRows: Value = [
    [1.5, 9_007_199_254_740_993, -2_147_483_647, "héllo, \"world\"", .blob([0, 1, 2, 255])],
    [nil, nil, nil, nil, nil],
    [-0.25, -1, 2_147_483_647, "", .blob([])],
]
