import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

@Suite("Bad input keeps everything up", .serialized)
struct BadInputTests {
    /// After each bad input: the same connection answers, the session keeps its table.
    func stillHealthy(_ c: any TestClient, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await ok(c, "builtins.ping", sourceLocation: sourceLocation)
        let r = try await ok(c, "table.fetch", ["table": "kept"], sourceLocation: sourceLocation)
        #expect(r.results["Fetch"]?.tableValue?.rowCount == 3, sourceLocation: sourceLocation)
    }

    @Test(arguments: Transport.allCases)
    func everyKindOfBadCall(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "kept", "vars": allTypesVars, "rows": allTypesRows])
            try await fails(c, "nosuch.action", ValueDict(), "Action set 'nosuch' does not exist")
            try await stillHealthy(c)
            try await fails(c, "table.fecth", ValueDict(), "Did you mean 'table.fetch'")
            try await stillHealthy(c)
            try await fails(c, "table.fetch", ["table": "kept", "bogus": 1], "table.fetch", "'bogus' is not recognized")
            // swat sends lower-cased names; the error names the action as the registry spells it
            try await fails(c, "table.tableinfo", ["bogus": 1], "table.tableInfo: Parameter 'bogus'")
            try await stillHealthy(c)
            try await fails(c, "table.fetch", ["table": "kept", "from": "abc"], "table.fetch", "'from' expects an integer")
            try await stillHealthy(c)
            try await fails(c, "table.fetch", ValueDict(), "'table' is required")
            try await stillHealthy(c)
            try await fails(c, "table.fetch", ["table": "gone"], "Table 'gone' does not exist")
            try await stillHealthy(c)
            try await fails(c, "table.fetch", ["table": ["name": "kept", "where": "d >"]], "table.where")
            try await stillHealthy(c)
            try await fails(c, "table.loadTable", ["path": "../../etc/passwd"], "escapes caslib")
            try await stillHealthy(c)
            try await fails(c, "table.addTable", ["table": "x", "vars": [["name": "a", "type": "int32"]], "rows": [["text"]]], "Row 1", "expected int32")
            try await stillHealthy(c)
        }
    }

    /// Once logged in, a call over `--max-line` is refused under its id (JSON-lines) or with a 413
    /// (REST), and the connection goes on.
    @Test(arguments: Transport.allCases)
    func anOversizeCallIsRefusedAndTheClientGoesOn(_ transport: Transport) async throws {
        try await TestServer.start(maxLine: 4096, http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "kept", "vars": allTypesVars, "rows": allTypesRows])
            let big = try await c.call("builtins.echo", ["x": .string(String(repeating: "a", count: 10_000))])
            #expect(big.disposition.severity == .error)
            #expect(big.errorText.contains(transport == .rest ? "The server accepts at most 4096 bytes per request" : "exceeds the server's limit of 4096 bytes"),
                    "\(big.errorText)")
            if transport == .jsonLines { try await stillHealthy(c) }  // a 413 closes the HTTP connection
        }
    }

    /// Malformed and oversize lines after login get error frames; the connection stays open.
    @Test func malformedLinesAfterLoginGetErrorFrames() async throws {
        try await TestServer.start(maxLine: 1024).run { s in
            let sock = try await RawSocket.connect(port: s.server.port)
            try await sock.send("{\"hello\": {\"user\": \"u\"}}\n")
            #expect(try await sock.readLine().contains("welcome"))
            try await sock.send("not json\n")
            #expect(try await sock.readLine().contains("malformed JSON"))
            try await sock.send(String(repeating: "y", count: 5000) + "\n")
            #expect(try await sock.readLine().contains("exceeds"))
            try await sock.send("{\"id\": 99}\n")
            #expect(try await sock.readLine().contains("\"error\""))
            try await sock.send("{\"hello\": {\"user\": \"u\"}}\n")
            #expect(try await sock.readLine().contains("already has session"))
            try await sock.send("{\"id\": 2, \"action\": \"builtins.ping\"}\n")
            #expect(try await sock.readLine().contains("\"severity\":\"Normal\""))
        }
    }
}
