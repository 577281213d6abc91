import CASClient
import CASTestSupport
import Dispatch
import Foundation

/// A real `caslite serve` process (signals, restarts, kill -9, memory), on free loopback ports.
/// Stop it with `run { }` (stops however the body ends) or `stop()` in a `defer`.
final class ServerProcess: @unchecked Sendable {  // `process` is only touched by the test that owns this value
    let process = Process()
    let dataRoot: String
    private(set) var port = 0
    private(set) var httpPort: Int?

    /// The caslite binary built next to this test bundle.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("caslite").path
    }

    /// The file standard error goes to, when `init(log: true)`.
    private(set) var logFile: String?

    init(dataRoot: String, auth: String = "none", http: Bool = false, arguments: [String] = [], log: Bool = false,
         environment: [String: String] = [:]) throws {
        self.dataRoot = dataRoot
        let portFile = dataRoot + "/port-\(UUID().uuidString)"
        let httpPortFile = portFile + "-http"
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "0", "--port-file", portFile, "--data", dataRoot, "--auth", auth]
            + (http ? ["--http-port", "0", "--http-port-file", httpPortFile] : []) + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if log {
            let file = portFile + ".log"
            FileManager.default.createFile(atPath: file, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            logFile = file
        }
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            // The REST port file is written first, then the JSON-lines one: both are there once the latter is.
            if let p = Self.readPort(portFile) {
                port = p
                httpPort = http ? Self.readPort(httpPortFile) : nil
                return
            }
            usleep(20_000)
        }
        stop()
        throw ClientError("caslite serve did not start within 30 s (binary \(Self.binary))")
    }

    static func readPort(_ file: String) -> Int? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func connect(_ user: String = "alice", password: String? = nil, host: String = "127.0.0.1", tls: TLSOptions? = nil) async throws -> CASConnection {
        try await CASConnection.connect(host: host, port: port, user: user, password: password, tls: tls)
    }

    /// What the server wrote to standard error so far (`init(log: true)`).
    var log: String { logFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? "" }

    /// The process's resident memory, in bytes (`VmRSS`).
    var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Sends `sig` (SIGTERM, SIGINT, …).
    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits up to `seconds` for the process to end; its exit status, or nil if it still runs.
    func exitStatus(within seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { return nil }
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    /// Runs `caslite ARGS` to completion with `input` on standard input; returns the exit status.
    @discardableResult
    static func cli(_ args: [String], input: String = "") throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let pipe = Pipe()
        p.standardInput = pipe
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        pipe.fileHandleForWriting.write(Data(input.utf8))
        try pipe.fileHandleForWriting.close()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Runs `caslite ARGS` to completion with `environment` added, on a thread of its own (never a cooperative one, which
    /// an in-process server may need); returns the exit status and what it printed (standard output, then standard error).
    static func cliOutput(_ args: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue(label: "caslite.tests.cli").async { c.resume(with: Result { try runCLI(args, environment: environment) }) }
        }
    }

    static func runCLI(_ args: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o + e, as: UTF8.self))
    }

    /// SIGKILL: no chance to clean up, like a crash or power loss of the process.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Ends the process: SIGTERM, then SIGKILL if it is still there after 15 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill9() }
    }

    /// Runs `body` and stops the process however it ends.
    @discardableResult
    func run<T>(_ body: (ServerProcess) async throws -> T) async throws -> T {
        defer { stop() }
        return try await body(self)
    }
}

/// A fresh temporary data folder, removed after `body`.
func withDataRoot<T>(_ body: (String) async throws -> T) async throws -> T {
    let root = try TestServer.freshRoot()
    defer { try? FileManager.default.removeItem(atPath: root) }
    return try await body(root)
}
