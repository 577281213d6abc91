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
