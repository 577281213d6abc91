import CASClient
import CASStandardSets
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

@Suite("sccasl.runCasl over loopback", .serialized)
struct RunCaslTests {
    @Test func printBecomesNotesAndSendResponseBecomesResults() async throws {
        try await withServer { s in
            let c = try await s.connect()
            let r = try await casl(c, "x = n * 2; print 'x is ' x; describe {a=1}; send_response({x=x, l={1, 'b'}});", vars: ["n": 21])
            #expect(r.disposition.severity == .normal, "\(r.errorText)")
            #expect(r.notes == ["x is 42", "value: dictionary (1 entries)", "  a: integer 1"])
            #expect(r.results == ["x": 42, "l": [1, "b"]])
        }
    }

    @Test func actionCallsRunInTheSessionUnderItsRules() async throws {
        try await withServer(sets: StandardRegistry.sets + [testingActionSet]) { s in  // sampling: a set no session starts with
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "v"]], "rows": [[1], [2], [3]]])
            let r = try await casl(c, """
                table.fetch result=f / table='t';
                sampling.srs status=st / table='t', samppct=50;
                loadactionset 'sampling';
                simple.numRows result=n / table='t';
                send_response({rows=f.Fetch.nrows, before=st.severity, after=n.numrows});
                """)
            #expect(r.results == ["rows": 3, "before": 2, "after": 3], "\(r.errorText)")
            #expect(r.errorText.contains("is not loaded in this session"))
            // the script's loadactionset stays in the session
            #expect(try await ok(c, "builtins.queryActionSet", ["actionSet": "sampling"]).results["sampling"] == true)
        }
    }

    @Test func saveResultCreatesASessionTable() async throws {
        try await withServer { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "v"]], "rows": [[1], [2], [3]]])
            try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            let r = try await casl(c, "table.fetch result=f / table='t' to=2; saveresult f.Fetch casout='firsttwo';")
            #expect(r.disposition.severity == .normal, "\(r.errorText)")
            let f = try await ok(c, "table.fetch", ["table": "firsttwo"])
            #expect(f.results["Fetch"]?.tableValue?.rowCount == 2)
            let again = try await casl(c, "table.fetch result=f / table='t';\nsaveresult f.Fetch casout='firsttwo';")
            #expect(again.errorText.contains("line 2, column 1: saveresult failed: Table 'firsttwo' already exists"), "\(again.errorText)")
        }
    }

    @Test func syntaxErrorsAreParameterErrorsThatQuoteTheLine() async throws {
        try await withServer { s in
            let c = try await s.connect()
            let r = try await casl(c, "x = 1;\nprint x +;")
            #expect(r.disposition.reason == "badParameters")
            #expect(r.errorText.contains("CASL syntax error at line 2, column 10: expected an expression, found ';'."), "\(r.errorText)")
            #expect(r.logs.map(\.message).contains("  2 | print x +;"))
            #expect(r.logs.map(\.message).contains("    |          ^"))
        }
    }

    @Test func runtimeErrorsStopTheScriptWithTheirPosition() async throws {
        try await withServer { s in
            let c = try await s.connect()
            let r = try await casl(c, "print 'before';\ntable.fetch / table='missing';\nprint 'after';")
            #expect(r.disposition.severity == .error)
            #expect(r.notes == ["before"])
            #expect(r.errorText.contains("CASL error at line 2, column 1: action table.fetch failed: Table 'missing' does not exist"), "\(r.errorText)")
            let v = try await c.call("sccasl.runCasl", ["code": "x = 1;", "vars": [1, 2]])
            #expect(v.errorText.contains("Parameter 'vars' expects a dictionary"))
        }
    }

    @Test func maxStepsStopsAnEndlessLoop() async throws {
        try await withServer { s in
            let c = try await s.connect()
            try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            let r = try await c.call("sccasl.runCasl", ["code": "do while (1); end;", "maxSteps": 5000])
            #expect(r.errorText.contains("line 1, column 11: the script ran more than 5000 steps"), "\(r.errorText)")
        }
    }

    @Test func cancellingStopsARunningScript() async throws {
        try await withServer { s in
            let c = try await s.connect()
            try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            let id = Mutex<Int64>(0)
            let stream = c.stream("sccasl.runCasl", ["code": "print 'started'; do while (1); end;", "maxSteps": 2_000_000_000]) { i in id.withLock { $0 = i } }
            var response: Response?
            for await event in stream {
                switch event {
                case .log(let l) where l.message == "started": try await c.cancel(id.withLock { $0 })
                case .response(let r): response = r
                default: break
                }
            }
            #expect(response?.disposition.reason == "abort")
            try await ok(c, "builtins.ping")  // the session is free again
        }
    }
}
