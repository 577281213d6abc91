import CASClient
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

@Suite("Cancellation and progress", .serialized)
struct CancelTests {
    /// A real long action: loadTable of a CSV big enough to take seconds, cancelled after its first progress frame.
    @Test func cancelStopsABigLoadTableAndTheSessionStaysUsable() async throws {
        let s = try await TestServer.start()
        var text = "a,b,c,d\n"
        text.reserveCapacity(40_000_000)
        for i in 0..<1_500_000 { text += "\(i),\(i % 97).5,x\(i % 13),\(i * 3)\n" }
        try s.write(text, to: "big.csv")
        let c = try await s.connect()
        let requestId = Mutex<Int64?>(nil)
        var sawProgress = false
        var response: Response?
        for await event in c.stream("table.loadTable", ["path": "big.csv", "casOut": "big"], onStart: { id in requestId.withLock { $0 = id } }) {
            switch event {
            case .progress:
                if !sawProgress {
                    sawProgress = true
                    try await c.cancel(try #require(requestId.withLock { $0 }))
                }
            case .log: break
            case .response(let r): response = r
            }
        }
        #expect(sawProgress)
        let r = try #require(response)
        #expect(r.disposition.severity == .error)
        #expect(r.disposition.reason == "abort")
        #expect(try await ok(c, "table.tableExists", ["name": "big"]).results["exists"] == 0)
        try await ok(c, "builtins.ping")
        // The same load runs to completion when not cancelled.
        try await ok(c, "table.loadTable", ["path": "big.csv", "casOut": "big"])
        #expect(try await ok(c, "table.tableExists", ["name": "big"]).results["exists"] == 1)
        await s.stop()
    }
}
