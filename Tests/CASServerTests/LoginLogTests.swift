import CASCore
import CASStorage
import CASTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// Refused logins are logged: an administrator sees who was tried from where (the back-off alone
/// would be invisible, and behind a proxy it delays everyone).
@Suite("Login: refused logins are logged")
struct LoginLogTests {
    @Test func aWrongPasswordAndABadNameAreWarningsNamingUserAndAddress() async throws {
        let dir = NSTemporaryDirectory() + "caslite-loginlog-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try ServerStore(path: dir + "/server.sqlite")
        try await store.addUser("alice", password: "right", admin: false, now: 0)
        let captured = CapturedLog()
        var limits = LoginLimits()
        limits.failureDelay = 0
        let login = try Login(mode: .password, host: "127.0.0.1", store: store, limits: limits,
                              logger: Logger(label: "test") { _ in CapturingLogHandler(captured: captured) })
        _ = try await login.authenticate(user: "alice", password: "right", from: "192.0.2.7")
        await #expect(throws: LoginError.self) { try await login.authenticate(user: "alice", password: "wrong", from: "192.0.2.7") }
        await #expect(throws: LoginError.self) { try await login.authenticate(user: "a\u{0}b", password: "x", from: "198.51.100.1") }
        let lines = captured.lines.withLock { $0 }
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.allSatisfy { $0.0 == .warning })
        #expect(lines.first?.1.contains("'alice' from 192.0.2.7") == true, "\(lines)")
        #expect(lines.last?.1.contains("198.51.100.1") == true && lines.last?.1.contains("\\u{0}") == true, "\(lines)")
    }
}
