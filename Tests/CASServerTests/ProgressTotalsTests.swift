import CASClient
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

/// Actions that know how much work is left say so, so clients can show a percentage and an ETA;
/// and docs/protocol.md's example answer is the one the server gives.
@Suite("Progress totals and the protocol's example", .serialized)
struct ProgressTotalsTests {
    @Test func loadTableReportsBytesReadOfTheFileSize() async throws {
        try await TestServer.start().run { s in
            let csv = "id,x\n" + (0..<200_000).map { "\($0),\(Double($0) / 4)\n" }.joined()
            try s.write(csv, to: "big.csv")
            let c = try await s.connect()
            let seen = Mutex<[CASWire.Progress]>([])
            let r = try await c.call("table.loadTable", ["path": "big.csv"]) { e in
                if case .progress(let p) = e { seen.withLock { $0.append(p) } }
            }
            #expect(r.disposition.severity == .normal)
            let progress = seen.withLock { $0 }
            #expect(!progress.isEmpty)
            #expect(progress.allSatisfy { $0.unit == "bytes" && $0.total == Int64(csv.utf8.count) && $0.done <= $0.total })
            #expect(progress.map(\.done) == progress.map(\.done).sorted())

            // a saved table: rows of the row count it was saved with
            try await ok(c, "table.save", ["table": "BIG", "name": "bigsaved"])
            seen.withLock { $0 = [] }
            let saved = try await c.call("table.loadTable", ["path": "bigsaved", "casOut": ["name": "again"]]) { e in
                if case .progress(let p) = e { seen.withLock { $0.append(p) } }
            }
            #expect(saved.disposition.severity == .normal)
            let rows = seen.withLock { $0 }
            #expect(!rows.isEmpty && rows.allSatisfy { $0.unit == "rows" && $0.total == 200_000 && $0.done <= $0.total })
        }
    }

    /// The `response` example of docs/protocol.md: the greenhouse data's first row, with the types loadTable infers.
    @Test func theProtocolDocsFetchExampleIsWhatTheServerAnswers() async throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let doc = try String(contentsOfFile: repo + "/docs/protocol.md", encoding: .utf8)
        let start = try #require(doc.range(of: "{\"id\": 7, \"response\": {"))
        let end = try #require(doc.range(of: "}}}\n", range: start.upperBound..<doc.endIndex))
        let example = try JSONParser.parse(String(doc[start.lowerBound..<end.upperBound]))
        let documented = try #require(example["response"]["results"]["Fetch"].tableValue)
        try await TestServer.start().run { s in
            try s.write(try String(contentsOfFile: repo + "/examples/data/greenhouse.csv", encoding: .utf8), to: "greenhouse.csv")
            let c = try await s.connect()
            try await ok(c, "table.loadTable", ["path": "greenhouse.csv", "casOut": ["name": "gh"]])
            let f = try await ok(c, "table.fetch", ["table": "gh", "to": 1, "fetchVars": ["week", "sensor"]])
            let served = try #require(f.results["Fetch"]?.tableValue)
            #expect(served.columns.map(\.name) == documented.columns.map(\.name))
            #expect(served.columns.map(\.type) == documented.columns.map(\.type))
            #expect(served.columns.map { $0.data.value(at: 0) } == documented.columns.map { $0.data.value(at: 0) })
        }
    }
}
