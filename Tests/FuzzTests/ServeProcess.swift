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

    /// Whether the server still runs; a connection that just broke gives a dying process a moment to exit.
    var alive: Bool {
        for _ in 0..<50 where process.isRunning { usleep(20_000) }
        return process.isRunning
    }

    /// Resident memory of the server, in bytes.
    var rss: Int {
        guard let s = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
        }
        return 0
    }

    /// The server's crash report (from its first line), or the end of its standard error.
    func tail(_ n: Int = 3000) -> String {
        let text = (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? ""
        for marker in ["Fatal error", "💣", "Crash", "Thread 0 crashed"] {
            if let r = text.range(of: marker) { return String(text[r.lowerBound...].prefix(n)) }
        }
        return String(text.suffix(n))
    }

    /// The crash's reason and the project's own frames of its backtrace, in a few lines.
    func crashSummary() -> String {
        let text = (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? ""
        var lines = text.split(separator: "\n")
        let reason = lines.filter { $0.contains("Fatal error") || $0.contains("💣") || $0.contains("error:") }.prefix(2)
        // the crashed thread's frames in the project's own code
        if let crashed = lines.firstIndex(where: { $0.contains("crashed:") }) { lines = Array(lines[crashed...]) }
        let frames = lines.filter { ($0.contains("/Sources/") || $0.contains("/actionsets/")) && !$0.contains("/checkouts/") }.prefix(6)
        let out = (reason + frames).map { "    " + $0.trimmingCharacters(in: .whitespaces).prefix(220) }
        return out.isEmpty ? tail(600) : out.joined(separator: "\n")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dataRoot)
    }
}
