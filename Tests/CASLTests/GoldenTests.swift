import CASClient
import CASTestSupport
import CASL
import CASWire
import Foundation
import Synchronization
import Testing

/// Runs every examples/scripts/*.casl through a real server and compares the transcript (what
/// `caslite run` prints) with the script's `.expected` file. `CASL_UPDATE_GOLDEN=1` rewrites them.
@Suite("Example scripts (golden output)", .serialized)
struct GoldenTests {
    static var scripts: [String] {
        let dir = Examples.root + "/scripts"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".casl") }.sorted()
    }

    @Test func everyExampleScriptHasAGoldenFile() {
        #expect(Self.scripts.count >= 2)
        for s in Self.scripts {
            #expect(FileManager.default.fileExists(atPath: Examples.root + "/scripts/" + s.replacingOccurrences(of: ".casl", with: ".expected")), "\(s)")
        }
    }

    @Test(arguments: scripts)
    func scriptOutputMatches(_ name: String) async throws {
        let path = Examples.root + "/scripts/" + name
        let code = try String(contentsOfFile: path, encoding: .utf8)
        try await withServer { s in
            try s.copyExampleData()
            let c = try await s.connect("caslite")
            try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            let lines = Mutex<[String]>([])
            let r = try await c.call("sccasl.runCasl", ["code": .string(code)]) { e in
                if case .log(let l) = e { lines.withLock { $0.append(Transcript.line(l)) } }
            }
            let transcript = Self.normalise((lines.withLock { $0 } + Transcript.trailer(r)).joined(separator: "\n") + "\n")
            let expectedPath = path.replacingOccurrences(of: ".casl", with: ".expected")
            if ProcessInfo.processInfo.environment["CASL_UPDATE_GOLDEN"] == "1" {
                try transcript.write(toFile: expectedPath, atomically: true, encoding: .utf8)
            }
            let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
            #expect(r.disposition.severity != .error, "\(name) failed: \(r.errorText)")
            #expect(transcript == expected, "\(name): transcript differs from \(expectedPath); run with CASL_UPDATE_GOLDEN=1 to see it")
        }
    }

    /// Removes what changes between runs: UUIDs, timestamps, durations, the user's name.
    static func normalise(_ s: String) -> String {
        var out = s
        let rules = [
            ("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>"),
            ("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", "<time>"),
            ("[0-9]+\\.[0-9]+ seconds", "<n> seconds"),
            ("CASUSER\\([^)]*\\)", "CASUSER(<user>)"),
        ]
        for (pattern, replacement) in rules {
            out = out.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return out
    }

    @Test func normalisationHidesOnlyVolatileParts() {
        #expect(Self.normalise("session 0f8fad5b-d9cb-469f-a165-70867728950e at 2026-11-30T12:00:01Z took 0.25 seconds in CASUSER(bob)")
                == "session <uuid> at <time> took <n> seconds in CASUSER(<user>)")
        #expect(Self.normalise("week 7 temperature 27") == "week 7 temperature 27")
    }
}
