import CASL
import CASWire
import Testing

@Suite("Interpreter: values and expressions")
struct ExpressionTests {
    @Test(arguments: [
        ("1 + 2 * 3", Value.int(7)),
        ("7 / 2", .double(3.5)),
        ("2 ** 10", .double(1024)),
        ("-(3 - 5)", .int(2)),
        ("9223372036854775807 + 1", .double(9.223372036854775808e18)),
        ("1.5 + 1", .double(2.5)),
        ("'a' || 1 || true", .string("a1true")),
        ("'x=' || 2.5", .string("x=2.5")),
        ("1 = 1.0", .bool(true)),
        ("'a' < 'b' and 2 >= 2", .bool(true)),
        ("not 0", .bool(true)),
        ("1 ^= 2 or 1 / 0", .bool(true)),
        ("0 and 1 / 0", .bool(false)),
        ("'abc' contains 'b'", .bool(true)),
        ("{1, 2, 3} contains 2", .bool(true)),
        ("{a=1} contains 'A'", .bool(true)),
        ("{1, {2, 'x'}} = {1, {2, 'x'}}", .bool(true)),
        ("{a=1, b=2} == {b=2, a=1}", .bool(true)),
        ("{1, 2, 'a'}[3]", .string("a")),
        ("{name='x', n=3}.N", .int(3)),
        ("{name='x', n=3}['name']", .string("x")),
        ("{name='x', n=3}[2]", .int(3)),
        ("dim({1, 2, 3}) + length('abcd')", .int(7)),
        ("upcase('ab') || lowcase('CD') || substr('hello', 2, 3)", .string("ABcdell")),
        ("find('hello', 'll')", .int(3)),
        ("mod(7, 3) + abs(-2) + round(2.6)", .double(6)),
        ("mod(-9223372036854775807 - 1, -1)", .int(0)),
        ("-(-9223372036854775807 - 1)", .double(9.223372036854775808e18)),
        ("abs(-9223372036854775807 - 1)", .double(9.223372036854775808e18)),
        ("max(1, 5, 3) + min({4, 2})", .int(7)),
        ("sum({1, 2.5})", .double(3.5)),
        ("typeof({})", .string("list")),
        ("exists({a=1}, 'b')", .bool(false)),
        ("tonumber('42') + tonumber(' 1.5 ')", .double(43.5)),
        ("keys({a=1, b=2})", .list(["a", "b"])),
        ("isnull(tonumber('x'))", .bool(true)),
        ("tonumber('x') + 1", .null),
    ])
    func evaluates(_ expression: String, _ expected: Value) async throws {
        #expect(try await value(expression) == expected)
    }

    @Test func tablesIndexByRowCellAndColumn() async throws {
        let r = try await run("""
            stub.table result=r;
            t = r.T;
            row = t[1]; cell = t[2, 'x']; cell2 = t[1, 3]; col = t[, 'name']; col2 = t['n'];
            viaRow = t[1].name; n = t.nrows; c = t.ncols; names = t.columns; missing = t[3].x;
            """)
        #expect(r["row"] == ["name": "a", "x": 1.5, "n": 1])
        #expect(r["cell"] == .double(2))
        #expect(r["cell2"] == .int(1))
        #expect(r["col"] == ["a", "b", nil])
        #expect(r["col2"] == [1, nil, 3])
        #expect(r["viaRow"] == "a")
        #expect(r["n"] == 3 && r["c"] == 3)
        #expect(r["names"] == ["name", "x", "n"])
        #expect(r["missing"] == .null)
    }

    @Test func assignmentsCreateAndUpdateContainers() async throws {
        let r = try await run("""
            d.a.b = 1; d['c'] = {1, 2}; d.c[3] = 3; d.c[1] = 'one';
            l[1] = 'x'; l[2] = {k=1}; l[2].k = 2;
            """)
        #expect(r["d"] == ["a": ["b": 1], "c": ["one", 2, 3]])
        #expect(r["l"] == ["x", ["k": 2]])
    }

    @Test func variablesAreCaseInsensitive() async throws {
        let r = try await run("Total = 1; TOTAL = total + 1;")
        #expect(r["total"] == 2)
    }
}

@Suite("Interpreter: statements")
struct StatementTests {
    @Test func printJoinsItemsAndShowsLiterals() async throws {
        let r = try await run("x = 2.5; print 'x=' x; print {1, 'a', {b=true}}; print 1/3; print 10/2;")
        #expect(r.output == ["x=2.5", "{1, \"a\", {b=true}}", "0.333333333333", "5"])
    }

    @Test func printRendersTables() async throws {
        let r = try await run("stub.table result=r; print r.T;")
        #expect(r.output == ["A stub table", "name    x  n", "a     1.5  1", "b       2  .", ".       .  3"])
    }

    @Test func hugeOutputIsCutShort() async throws {
        let r = try await run("s = 'abcdefghij'; do i = 1 to 11; s = s || s; end; print s;")
        #expect(r.output.count == 1)
        #expect(r.output[0].count < 20_100)
        #expect(r.output[0].hasSuffix("…(output cut short)"))
    }

    @Test func describeShowsStructure() async throws {
        let r = try await run("stub.table result=r; describe r;")
        #expect(r.output == ["r: dictionary (2 entries)", "  T: table T (3 rows, 3 columns)", "    name (varchar)", "    x (double)",
                             "    n (int64)", "  count: integer 3"])
    }

    @Test func ifElseChains() async throws {
        let r = try await run("""
            do i = 1 to 3;
              if i = 1 then s = 'one'; else if i = 2 then do; s = s || ' two'; end; else s = s || ' three';
            end;
            """)
        #expect(r["s"] == "one two three")
    }

    @Test func countingLoops() async throws {
        let r = try await run("s = 0; do i = 1 to 10 by 3; s = s + i; end; t = 0; do j = 5 to 1 by -2; t = t * 10 + j; end; do k = 0 to 1 by 0.5; last = k; end;")
        #expect(r["s"] == 22)  // 1 + 4 + 7 + 10
        #expect(r["i"] == 13)
        #expect(r["t"] == 531)
        #expect(r["last"] == .double(1))
    }

    @Test func overLoopsOnListsDictsAndTables() async throws {
        let r = try await run("""
            s = ''; do x over {'a', 'b'}; s = s || x; end;
            do i, x over {'c', 'd'}; s = s || i || x; end;
            do k, v over {p=1, q=2}; s = s || k || v; end;
            stub.table result=r; do row over r.T; s = s || row.name; end;
            """)
        #expect(r["s"] == "ab1c2dp1q2ab")  // a missing cell joins as ""
    }

    @Test func whileAndUntil() async throws {
        let r = try await run("i = 0; do while (i < 5); i = i + 2; end; j = 10; do until (j > 0); j = j - 1; end;")
        #expect(r["i"] == 6)
        #expect(r["j"] == 9)  // until runs the body before testing
    }

    @Test func functionsRecurseAndHaveLocalScope() async throws {
        let r = try await run("""
            function fib(n); if n < 2 then return n; return fib(n - 1) + fib(n - 2); end;
            function scoped(a); b = a * 2; return b; end func;
            x = fib(15); y = scoped(4);
            """)
        #expect(r["x"] == 610)
        #expect(r["y"] == 8)
        #expect(r["b"] == nil)
    }

    @Test func functionsMayBeCalledBeforeTheirDefinition() async throws {
        let r = try await run("x = twice(3); function twice(a); return a * 2; end;")
        #expect(r["x"] == 6)
    }

    @Test func exitStopsEverythingEvenInsideAFunction() async throws {
        let r = try await run("function f(); exit; end; a = 1; x = f(); a = 2;")
        #expect(r["a"] == 1)
    }

    @Test func sourceBlocksAssignText() async throws {
        let r = try await run("source code;\n  print 'hi';\nendsource;")
        #expect(r["code"] == "\n  print 'hi';\n")
    }

    @Test func sendResponseMergesResults() async throws {
        let r = try await run("send_response({a=1}); send_response({b={1, 2}, a=3});")
        #expect(r.sent == ["a": 3, "b": [1, 2]])
    }

    @Test func presetVariables() async throws {
        let host = StubHost()
        let i = Interpreter(host: host)
        i.set("N", 4)
        try await i.run(try Parser.parse("print n * 2;"))
        #expect(host.output == ["8"])
    }
}

@Suite("Interpreter: actions")
struct ActionTests {
    @Test func parametersAreEvaluatedAndResultsCaptured() async throws {
        let r = try await run("n = 2; simple.summary result=res status=st / table={name='t' || n, where='x = 1'} inputs={'a', 'b'} to=n + 1;")
        #expect(r.host.calls.withLock { $0.map(\.0) } == ["simple.summary"])
        #expect(r["res"]?["params"] == ["table": ["name": "t2", "where": "x = 1"], "inputs": ["a", "b"], "to": 3])
        #expect(r["st"] == ["severity": 0, "reason": "ok", "status": "", "statusCode": 0])
    }

    @Test func resultsWithoutResultVariableArePrinted() async throws {
        let r = try await run("builtins.echo / a=1;")
        #expect(r.output == ["action: \"builtins.echo\"", "params: {a=1}"])
    }

    @Test func aFailedActionStopsTheScriptUnlessStatusIsCaptured() async throws {
        let r = try await run("stub.fail status=s; sev = s.severity; why = s.status;")
        #expect(r["sev"] == 2)
        #expect(r["why"] == "it failed")
        await fails("x = 1;\n  stub.fail / a=1;", .runtime, line: 2, column: 3, "action stub.fail failed: it failed on purpose")
    }

    @Test func loadActionSetCallsTheBuiltin() async throws {
        let r = try await run("loadactionset 'simple'; loadactionset / actionSet='table';")
        #expect(r.host.calls.withLock { $0.map { "\($0.0) \($0.1["actionSet"]!.stringValue!)" } } == ["builtins.loadActionSet simple", "builtins.loadActionSet table"])
    }

    @Test func saveResultStoresTheTable() async throws {
        let r = try await run("stub.table result=r; saveresult r.T casout='copy'; saveresult r casout={name='copy', replace=true};")
        #expect(r.host.saved.withLock { $0["copy"] } == StubHost.table)
        #expect(r.output.last == "saveresult: table copy saved in caslib CASUSER(stub) (3 rows, 3 columns).")
        await fails("stub.table result=r;\nsaveresult r.T casout='c'; saveresult r.T casout='c';", .runtime, line: 2, column: 28, "exists; use replace")
        await fails("saveresult {1} casout='c';", .runtime, line: 1, column: 12, "needs a result table")
    }
}
