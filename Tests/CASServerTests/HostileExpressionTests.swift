import CASTestSupport
import CASWire
import Foundation
import Testing

/// Expressions a logged-in user sends in `where`, `computedVarsProgram` and CASL scripts: short strings
/// that nest or chain thousands of operators. Evaluating and freeing such trees recurse once per level, so
/// the parsers refuse trees beyond fixed heights; before, a 4 KB `where` of `-` killed the server.
@Suite("Hostile expressions: deep where, computed programs and CASL", .serialized)
struct HostileExpressionTests {
    /// Each is refused by a parser limit (nesting 200, height 500), with the parameter named.
    static let deepWheres: [(String, String)] = [
        ("x = " + String(repeating: "-", count: 4000) + "1", "nested too deeply"),
        (String(repeating: "not ", count: 8000) + "x=1", "nested too deeply"),
        (String(repeating: "x=1 or ", count: 8000) + "x=1", "chain"),
        ("x = " + String(repeating: "(", count: 20000) + "1" + String(repeating: ")", count: 20000), "nested too deeply"),
        ("x = " + Array(repeating: "1", count: 20000).joined(separator: "+"), "chain"),
        ("x = " + String(repeating: "abs(", count: 5000) + "1" + String(repeating: ")", count: 5000), "nested too deeply"),
        ("x = 2" + String(repeating: "**2", count: 5000), "nested too deeply"),
    ]

    @Test(arguments: Transport.allCases)
    func deepWhereClausesAreErrorsAndTheServerStaysUp(_ transport: Transport) async throws {
        try await TestServer.start(sets: TestServer.coreSets, http: true).run { s in
            let c = try await s.client(transport, "alice")
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1], [2]]])
            for (w, fragment) in Self.deepWheres {
                try await fails(c, "table.fetch", ["table": ["name": "t", "where": .string(w)]], "where", fragment)
            }
            let program = "y = " + Array(repeating: "1", count: 20000).joined(separator: "+") + ";"
            try await fails(c, "table.fetch", ["table": ["name": "t", "computedVars": [["name": "y"]], "computedVarsProgram": .string(program)]],
                            "computedVarsProgram", "chain")
            // just inside the limits the same shapes work and compute the right thing
            let chain = Array(repeating: "x=3", count: 490).joined(separator: " or ") + " or x=2"
            let r = try await ok(c, "table.fetch", ["table": ["name": "t", "where": .string(chain)]])
            #expect(r.results["Fetch"]?.tableValue?.rowCount == 1)
            let sum = "x + " + Array(repeating: "1", count: 450).joined(separator: "+") + " = 452"
            let r2 = try await ok(c, "table.fetch", ["table": ["name": "t", "where": .string(sum)]])
            #expect(r2.results["Fetch"]?.tableValue?.rowCount == 1)
            let negated = "x = " + String(repeating: "-", count: 190) + "2"
            #expect(try await ok(c, "table.fetch", ["table": ["name": "t", "where": .string(negated)]]).results["Fetch"]?.tableValue?.rowCount == 1)
            try await ok(c, "builtins.ping")
        }
    }

    @Test(arguments: Transport.allCases)
    func longCASLChainsAreErrorsAndListAssignmentsKeepTheirValues(_ transport: Transport) async throws {
        try await TestServer.start(sets: TestServer.coreSets, http: true).run { s in
            let c = try await s.client(transport, "alice")
            try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            for code in ["x = " + Array(repeating: "1", count: 100_000).joined(separator: "+") + ";",
                         "x = " + Array(repeating: "a", count: 20_000).joined(separator: " or ") + ";",
                         "x = {" + String(repeating: "1+", count: 5000) + "1};",
                         "x = y" + String(repeating: ".a", count: 5000) + ";"] {
                try await fails(c, "sccasl.runCasl", ["code": .string(code)], "more than 1000 operators deep")
            }
            // at the limit: a chain of 999 operators evaluates
            let r = try await ok(c, "sccasl.runCasl", ["code": .string("x = " + Array(repeating: "1", count: 1000).joined(separator: "+") + "; print x;")])
            #expect(r.logs.contains { $0.message.contains("1000") }, "\(r.logs)")
            // element assignment changes one value; a failing one changes nothing
            let script = """
                l = {}; do i = 1 to 5000; l[i] = i; end;
                d = {a = {1, 2}}; d.a[2] = 20; d.a[3] = 30;
                print "n=" || dim(l) || " last=" || l[5000] || " d=" || d.a[1] || "," || d.a[2] || "," || d.a[3];
                l[9] = "x"; l[5002] = 1;
                """
            let r2 = try await fails(c, "sccasl.runCasl", ["code": .string(script)], "5002")
            #expect(r2.logs.contains { $0.message.contains("n=5000 last=5000 d=1,20,30") }, "\(r2.logs)")
            try await ok(c, "builtins.ping")
        }
    }
}

/// Texts a client attaches to what the server keeps — attributes, labels, formats, descriptions, session
/// names — are bounded or charged to the memory budget like cells.
@Suite("Hostile metadata: texts are bounded and charged", .serialized)
struct HostileMetadataTests {
    @Test(arguments: Transport.allCases)
    func attributesAreChargedAndStringParametersAreBounded(_ transport: Transport) async throws {
        try await TestServer.start(http: true, maxMemory: 64 << 20, maxSessionMemory: 1 << 20).run { s in
            let a = try await s.client(transport, "alice")
            try await ok(a, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            // 300 KB attributes, four times: the fourth passes the session's 1 MiB
            let big = String(repeating: "a", count: 300_000)
            for i in 1...3 {
                try await ok(a, "table.attribute", ["name": "t", "task": "ADD", "attributes": [["key": .string("k\(i)"), "value": .string(big)]]])
            }
            try await fails(a, "table.attribute", ["name": "t", "task": "ADD", "attributes": [["key": "k4", "value": .string(big)]]], "--max-session-memory")
            let used = try await ok(a, "builtins.serverStatus").results["memory"]?.tableValue?.ints("UsedBytes")
            #expect((used?[1] ?? 0) > 900_000, "\(String(describing: used))")
            // strings past 64 KiB in ordinary parameters are refused, naming the parameter
            let long = String(repeating: "l", count: 70_000)
            try await fails(a, "table.addTable", ["table": "u", "vars": [["name": "x", "label": .string(long)]], "rows": [[1]]],
                            "vars[1].label", "at most 65536")
            try await fails(a, "table.addCaslib", ["caslib": "c", "path": "casuser/alice", "description": .string(long)], "description", "65536")
            try await fails(a, "session.sessionName", ["name": "a\u{0}b"], "control character")
            try await fails(a, "session.sessionName", ["name": .string(String(repeating: "n", count: 300))], "longer than 256")
            // programs may be longer
            try await ok(a, "builtins.loadActionSet", ["actionSet": "sccasl"])
            try await ok(a, "sccasl.runCasl", ["code": .string("x = 1;" + String(repeating: " ", count: 100_000))])
            try await ok(a, "builtins.ping")
        }
    }
}

extension HostileMetadataTests {
    @Test(arguments: Transport.allCases)
    func whatAClientSentIsNotEchoedInFull(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let a = try await s.client(transport, "alice")
            let huge = String(repeating: "q", count: 100_000)
            let long = String(repeating: "q", count: 50_000)  // a REST request head (the URL) holds at most 80 KB
            for (action, params) in [("builtins.ping", [huge: Value.int(1)] as ValueDict), ("builtins.\(long)", ValueDict()),
                                     ("sessionProp.setSessOpt", ["logLevel": .string(long)])] {
                let r = try await a.call(action, params)
                #expect(r.disposition.severity == .error)
                #expect(r.errorText.utf8.count < 6_000, "\(action.prefix(40)): \(r.errorText.utf8.count) bytes")
                #expect(r.errorText.contains("cut") || r.errorText.contains("characters)"), "\(r.errorText.prefix(300))")
            }
            try await ok(a, "builtins.ping")
        }
    }
}

extension HostileMetadataTests {
    @Test(arguments: Transport.allCases)
    func addTableErrorsNameItsOwnParameters(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let a = try await s.client(transport, "alice")
            try await ok(a, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            let r = try await fails(a, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[2]]], "already exists", "replace")
            #expect(!r.errorText.contains("casOut"), "\(r.errorText)")
        }
    }
}
