import CASClient
import CASTestSupport
import Foundation

/// A real `caslite serve` process (for restarts and kill -9), on a free loopback port.
final class ServerProcess {
    let process = Process()
    let dataRoot: String
    private(set) var port = 0

    /// The caslite binary built next to this test bundle.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("caslite").path
    }

    init(dataRoot: String, auth: String = "none") throws {
        self.dataRoot = dataRoot
        let portFile = dataRoot + "/port-\(UUID().uuidString)"
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "0", "--port-file", portFile, "--data", dataRoot, "--auth", auth]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = p
                return
            }
            usleep(20_000)
        }
        process.terminate()
        throw ClientError("caslite serve did not start within 30 s (binary \(Self.binary))")
    }

    func connect(_ user: String = "alice", password: String? = nil) async throws -> CASConnection {
        try await CASConnection.connect(host: "127.0.0.1", port: port, user: user, password: password)
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

    /// SIGKILL: no chance to clean up, like a crash or power loss of the process.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
