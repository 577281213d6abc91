import Foundation

/// A real `caslite serve` process over a fresh data folder, watched for crashes and memory.
final class ServeProcess {
    let process = Process()
    let dataRoot: String
    private(set) var port = 0
    let stderrFile: String

    /// The caslite binary built next to this test bundle.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("caslite").path
    }

    init(extra: [String]) throws {
        dataRoot = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dataRoot, withIntermediateDirectories: true)
        let portFile = dataRoot + "/.port"
        stderrFile = dataRoot + "/.stderr"
        FileManager.default.createFile(atPath: stderrFile, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "0", "--port-file", portFile, "--data", dataRoot, "--auth", "none"] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: stderrFile)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let t = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(t.trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = p
                return
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw FuzzFailure("caslite serve did not start: \(tail())")
    }

    var alive: Bool { process.isRunning }

    /// Resident memory of the server, in bytes.
    var rss: Int {
        guard let s = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
        }
        return 0
    }

    /// The end of the server's standard error (the crash report, when it crashed).
    func tail(_ n: Int = 3000) -> String {
        let text = (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? ""
        return String(text.suffix(n))
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dataRoot)
    }
}
