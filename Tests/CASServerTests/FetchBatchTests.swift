import CASCore
import CASTestSupport
import CASWire
import Testing

/// `table.fetch`: a from..to range longer than maxRows comes back in CAS's batches (Fetch, Fetch1,
/// Fetch2, …, as swat's to_frame concatenates them), the fast paths (whole table, a slice, sorted)
/// return the rows of the plain gather, over both front ends.
@Suite("table.fetch batches")
struct FetchBatchTests {
    static let n = 2_503

    static func load(_ c: any TestClient) async throws {
        let rows: [Value] = (0..<n).map { i in
            [.int(Int64(i)), i % 11 == 0 ? .null : .double(Double(i) / 8), .string("r\(i % 7)")]
        }
        try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "i", "type": "int64"], ["name": "x"], ["name": "s", "type": "varchar"]],
                                           "rows": .list(rows)])
    }

    /// The naive reference: rows first...last (1-based) of the table, in load order.
    static func expected(_ first: Int, _ last: Int) -> [Int64] { (first...min(last, n)).map { Int64($0 - 1) } }

    @Test(arguments: Transport.allCases)
    func longRangesComeBackInBatchesOfMaxRows(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await Self.load(c)
            // swat's to_frame: to = 2^63-1 and no maxRows (1000 a table)
            let all = try await ok(c, "table.fetch", ["table": "t", "to": .int(.max)])
            #expect(all.results.keys == ["Fetch", "Fetch1", "Fetch2"])
            let parts = all.results.entries.compactMap { $0.value.tableValue }
            #expect(parts.map(\.rowCount) == [1000, 1000, 503])
            #expect(parts.flatMap { t in (0..<t.rowCount).map { t.column("i")!.data.value(at: $0).intValue! } } == Self.expected(1, Self.n))
            #expect(parts.flatMap { t in (0..<t.rowCount).map { t.column("_Index_")!.data.value(at: $0).intValue! } } == (1...Int64(Self.n)).map { $0 })
            #expect(parts.allSatisfy { $0.attributes["NRows"]?.intValue == Int64($0.rowCount) })
            // a middle slice, one table
            let mid = try await ok(c, "table.fetch", ["table": "t", "from": 11, "to": 30, "index": false])
            let m = try #require(mid.results["Fetch"]?.tableValue)
            #expect((0..<m.rowCount).map { m.column("i")!.data.value(at: $0).intValue! } == Self.expected(11, 30))
            #expect(m.column("x")!.data.value(at: 1) == .null && m.column("s")!.data.value(at: 0) == .string("r3"))   // i = 11, i = 10
            // sorted, descending, batches of 400 from row 2001: rows 2001..2503 of the sorted order
            let sorted = try await ok(c, "table.fetch", ["table": "t", "from": 2001, "to": 5000, "maxRows": 400,
                                                         "sortBy": [["name": "i", "order": "DESCENDING"]]])
            #expect(sorted.results.keys == ["Fetch", "Fetch1"])
            let sortedRows = sorted.results.entries.compactMap { $0.value.tableValue }.flatMap { t in
                (0..<t.rowCount).map { t.column("i")!.data.value(at: $0).intValue! }
            }
            #expect(sortedRows == Array(Self.expected(1, Self.n).reversed()[2000...]))
            // sorted by a column that is not fetched
            let other = try await ok(c, "table.fetch", ["table": "t", "to": 3, "fetchVars": ["s"], "index": false,
                                                        "sortBy": [["name": "i", "order": "DESCENDING"]]])
            #expect(try #require(other.results["Fetch"]?.tableValue).column("s")?.data == .varchar((0..<3).map { "r\((Self.n - 1 - $0) % 7)" }))
        }
    }

    @Test(arguments: Transport.allCases)
    func tooManyBatchesAreRefusedBeforeAnyWork(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "many", "vars": [["name": "x"]], "rows": .list((0..<10_001).map { [.double(Double($0))] })])
            try await fails(c, "table.fetch", ["table": "many", "to": .int(.max), "maxRows": 1], "10001 result tables", "maxRows", "10000")
            // exactly the limit is fine
            let r = try await ok(c, "table.fetch", ["table": "many", "to": 10_000, "maxRows": 1])
            #expect(r.results.count == 10_000 && r.results["Fetch9999"]?.tableValue?.rowCount == 1)
            try await ok(c, "builtins.ping")
        }
    }

    /// A large response is written in chunks while it is formatted; frames the connection sends in the
    /// meantime (here: answers to malformed lines) must wait for it, never land inside it. (Whether the
    /// answers really come while the rest is formatted depends on timing; `OrderedWriterTests` checks
    /// the same rule deterministically.)
    @Test func aStreamedResponseIsNeverInterleavedWithOtherFrames() async throws {
        try await TestServer.start(maxLine: 8 << 20).run { s in
            let sock = try await RawSocket.connect(port: s.server.port)
            try await sock.send("{\"hello\": {\"user\": \"u\"}}\n")
            #expect(try await sock.readLine().contains("welcome"))
            let n = 80_000
            let rows = (0..<n).map { "[\($0),\(Double($0) / 7),\"row \($0 % 13)\"]" }.joined(separator: ",")
            try await sock.send("{\"id\":1,\"action\":\"table.addTable\",\"params\":{\"table\":\"big\",\"vars\":[{\"name\":\"i\",\"type\":\"int64\"},"
                                + "{\"name\":\"x\"},{\"name\":\"s\",\"type\":\"varchar\"}],\"rows\":[\(rows)]}}\n")
            while true {  // log frames, then the response
                switch try ServerFrame(line: Array(try await sock.readLine().utf8)) {
                case .response(1, let r): try #require(r.disposition.severity == .normal, "\(r.logs)")
                case .error(_, let message): Issue.record("addTable: \(message)"); return
                default: continue
                }
                break
            }
            // the fetch (about 4 MB of JSON, several chunks); once its first chunk is here (the rest
            // still being formatted), 300 bad lines, each answered at once by the connection
            try await sock.send("{\"id\":2,\"action\":\"table.fetch\",\"params\":{\"table\":\"big\",\"to\":\(n),\"maxRows\":\(n)}}\n")
            try await sock.waitForBytes(1 << 20)
            try await sock.send(String(repeating: "not json\n", count: 300))
            var errors = 0
            var fetched: DataTable?
            for _ in 0..<301 {
                let line = try await sock.readLine()
                let frame = try ServerFrame(line: Array(line.utf8))   // every line is one whole frame
                switch frame {
                case .error(_, let message): #expect(message.contains("malformed JSON")); errors += 1
                case .response(2, let r): fetched = r.results["Fetch"]?.tableValue
                default: Issue.record("unexpected frame: \(line.prefix(200))")
                }
            }
            #expect(errors == 300)
            let t = try #require(fetched)
            #expect(t.rowCount == n)
            #expect((0..<n).allSatisfy { t.column("i")!.data.value(at: $0) == .int(Int64($0)) })
            #expect(t.column("x")!.data.value(at: n - 1) == .double(Double(n - 1) / 7))
        }
    }

    /// A client that asks for a large answer and never reads it is cut off when the bytes waiting for
    /// its socket pass its session's memory limit: the connection is closed, the server stays up, and
    /// what was charged for the answer is given back.
    @Test func aClientThatDoesNotReadIsCutOffAtItsMemoryLimit() async throws {
        try await TestServer.start(maxSessionMemory: 40 << 20).run { s in
            let sock = try await RawSocket.connect(port: s.server.port)
            try await sock.send("{\"hello\": {\"user\": \"u\"}}\n")
            guard case .welcome(let session, _, _, _) = try ServerFrame(line: Array(try await sock.readLine().utf8)) else {
                Issue.record("no welcome"); return
            }
            // 2 M rows of one double: 16 MB in memory, about 56 MB as JSON
            try await sock.send("{\"id\":1,\"action\":\"fedSql.execDirect\",\"params\":{\"query\":\"create table big as with recursive c(i) as "
                                + "(select 1 union all select i + 1 from c where i < 2000000) select i / 7.0 as x from c\"}}\n")
            var logs: [String] = []
            answer: while true {
                switch try ServerFrame(line: Array(try await sock.readLine().utf8)) {
                case .response(_, let r): try #require(r.disposition.severity == .normal, "\(logs)"); break answer
                case .log(_, let l): logs.append(l.message)
                default: continue
                }
            }
            let memory = s.server.context.memory
            let before = memory.used(session: session)
            #expect(before >= 16_000_000)
            try await sock.send("{\"id\":2,\"action\":\"table.fetch\",\"params\":{\"table\":\"big\",\"to\":2000000,\"maxRows\":2000000}}\n")
            // not reading: the server fills the socket's buffers, then the bytes waiting pass the limit
            var waited = 0
            while memory.used(session: session) == before && waited < 200 {  // until the answer has started (at most 20 s)
                try await Task.sleep(for: .milliseconds(100)); waited += 1
            }
            // reading now: the answer is cut short by the closed connection, never a whole line
            await #expect(throws: (any Error).self) { _ = try await sock.readLine() }
            // everything charged for the answer is given back, and the server serves the session again
            // (`before` may still hold the few hundred bytes of the last answer's frames: they are given back
            // when the event loop has written them, which can be just after the client read them)
            var settled = 0
            while memory.used(session: session) > before && settled < 100 { try await Task.sleep(for: .milliseconds(100)); settled += 1 }
            let after = memory.used(session: session)
            #expect(after <= before && after >= 16_000_000, "\(before) before the fetch, \(after) after")
            let again = try await s.client(.jsonLines, "u", session: session)
            let r = try await ok(again, "table.fetch", ["table": "big", "to": 3])
            #expect(r.results["Fetch"]?.tableValue?.rowCount == 3)
        }
    }
}
