import CASClient
import CASTestSupport
import CASWire
import Foundation

// The shared server helpers live in Tests/CASTestSupport; these are the CASL tests' own.

/// The repository's examples folder.
enum Examples {
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples").path
    }
}

extension TestServer {
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
}

/// Runs a script through `sccasl.runCasl` (loading the set first).
func casl(_ conn: CASConnection, _ code: String, vars: ValueDict = ValueDict()) async throws -> Response {
    _ = try await conn.call("builtins.loadActionSet", ["actionSet": "sccasl"])
    return try await conn.call("sccasl.runCasl", ["code": .string(code), "vars": .dict(vars)])
}
