import CASClient
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

/// The DATA step's row-by-row statements (docs/datastep.md): OUTPUT, BY with SET, DO loops, arrays,
/// RETAIN values and sum statements, comments, RENAME swaps. Every expected value is worked out by hand
/// from SAS's documented semantics in the comment above it, never taken from caslite's output.
@Suite("DataStep row by row", .serialized)
struct DataStepRowTests {
    /// g: b a b a c (unsorted), x: 1 2 3 missing 5.
    static let vars: Value = [["name": "g", "type": "varchar"], ["name": "x"]]
    static let rows: Value = [["b", 1], ["a", 2], ["b", 3], ["a", .null], ["c", 5]]

    func run(_ c: any TestClient, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await ok(c, "dataStep.runCode", ["code": .string(code)], sourceLocation: sourceLocation)
    }

    /// Each program fails with an Error whose messages hold every fragment.
    static func refuses(_ c: any TestClient, _ cases: [(String, [String])], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for (code, fragments) in cases {
            let r = try await c.call("dataStep.runCode", ["code": .string(code)])
            #expect(r.disposition.severity == .error, "\(code.prefix(80))", sourceLocation: sourceLocation)
            for f in fragments { #expect(r.errorText.contains(f), "'\(f)' not in: \(r.errorText.prefix(400)) — \(code.prefix(80))", sourceLocation: sourceLocation) }
        }
    }

    /// A server with the table t (`vars`, `rows`) and a client over `transport`: where most scenarios start.
    func withT(_ transport: Transport, _ body: (any TestClient) async throws -> Void) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            try await body(c)
        }
    }

    func doubles(_ t: DataTable, _ name: String) -> [Double?] {
        guard let col = t.column(name) else { return [] }
        return (0..<t.rowCount).map { col.data.double(at: $0).flatMap { $0.isNaN ? nil : $0 } }
    }

    @Test(arguments: Transport.allCases)
    func explicitOutputWritesTheNamedTablesAndTurnsOffTheImplicitOne(_ transport: Transport) async throws {
        try await withT(transport) { c in
            // x > 2 goes to hi, the rest (1, 2, missing: below every number) to lo; one OUTPUT each, so no implicit output
            try await run(c, "data hi lo; set t; if x > 2 then output hi; else output lo; run;")
            #expect(try await fetchAll(c, "hi").ints("x") == [3, 5])
            #expect(try await fetchAll(c, "lo").ints("x") == [1, 2, nil])
            // an OUTPUT that never runs still turns the implicit output off: no rows at all
            try await run(c, "data none; set t; if x > 100 then output; run;")
            #expect(try await fetchAll(c, "none").rowCount == 0)
            // OUTPUT in a loop writes a row per pass, with the values of that moment; the row after the loop is not written
            try await run(c, "data rep; set t; where x between 1 and 2; do k = 1 to 2; y = x * 10 + k; output; end; y = -1; run;")
            let rep = try await fetchAll(c, "rep")
            #expect(rep.ints("x") == [1, 1, 2, 2] && rep.ints("k") == [1, 2, 1, 2] && rep.ints("y") == [11, 12, 21, 22])
            // OUTPUT then DELETE: the row written before DELETE stays; `output; output;` writes it twice
            try await run(c, "data twice; set t; where x = 1; output; output; delete; run;")
            #expect(try await fetchAll(c, "twice").ints("x") == [1, 1])
            // STOP ends the step at the third row, before its implicit output
            try await run(c, "data first2; set t; if _n_ = 3 then stop; run;")
            #expect(try await fetchAll(c, "first2").ints("x") == [1, 2])
            let r = try await c.call("dataStep.runCode", ["code": "data a b; set t; run;"])
            #expect(r.results["OutputCasTables"]?.tableValue?.strings("Name") == ["a", "b"])
            #expect(r.results["OutputCasTables"]?.tableValue?.ints("Rows") == [5, 5])
        }
    }

    @Test(arguments: Transport.allCases)
    func byGroupsSetFirstAndLastWhateverTheInputOrder(_ transport: Transport) async throws {
        try await withT(transport) { c in
            // CAS groups by g itself: a (2, .), b (1, 3), c (5), input order kept inside a group
            try await run(c, "data o; set t; by g; f = first.g; l = last.g; run;")
            let o = try await fetchAll(c, "o")
            #expect(o.strings("g") == ["a", "a", "b", "b", "c"] && o.ints("x") == [2, nil, 1, 3, 5])
            #expect(o.ints("f") == [1, 0, 1, 0, 1] && o.ints("l") == [0, 1, 0, 1, 1])
            #expect(!o.columns.contains { $0.name.lowercased().hasPrefix("first.") })   // automatic variables are not written
            // descending: c, b, b, a, a; a running count per group and one row per group at its end
            try await run(c, "data d; set t; by descending g; if first.g then n = 0; n + 1; if last.g; run;")
            let d = try await fetchAll(c, "d")
            #expect(d.strings("g") == ["c", "b", "a"] && d.ints("n") == [1, 2, 2])
            // two BY variables: first.h is also 1 where g changes though h does not
            try await ok(c, "table.addTable", ["table": "two", "vars": [["name": "g"], ["name": "h"]], "rows": [[1, 1], [1, 1], [2, 1], [2, 2]]])
            try await run(c, "data o2; set two; by g h; fg = first.g; fh = first.h; lh = last.h; run;")
            let o2 = try await fetchAll(c, "o2")
            #expect(o2.ints("fg") == [1, 0, 1, 0] && o2.ints("fh") == [1, 0, 1, 1] && o2.ints("lh") == [0, 1, 1, 1])
            // NOTSORTED: groups are runs in the order read — b, a, b, a, c are five groups
            try await run(c, "data ns; set t; by g notsorted; f = first.g; run;")
            #expect(try await fetchAll(c, "ns").ints("f") == [1, 1, 1, 1, 1])
            try await Self.refuses(c, [
                ("data o; set t; by nosuch; run;", ["dataStep.runCode", "BY variable", "nosuch"]),
                ("data o; set t; by descending; run;", ["statement 3", "BY names"]),
                ("data o; set t; first.g = 1; run;", ["statement 3"]),
            ])
        }
    }

    @Test(arguments: Transport.allCases)
    func mergeHasFirstAndLastAndColumnsTheStepDoesNotAssignKeepTheirType(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            // 2^53 + 1 is not a double: an int64 column the step only reads must come out exact
            try await ok(c, "table.addTable", ["table": "big", "vars": [["name": "id", "type": "int64"], ["name": "g"]],
                                               "rows": [[9_007_199_254_740_993, 2], [5, 1], [7, 2]]])
            try await ok(c, "table.addTable", ["table": "names", "vars": [["name": "g"], ["name": "label", "type": "varchar"]], "rows": [[2, "two"]]])
            // merged by g: (5, g 1, no label), (2^53+1, g 2, two), (7, g 2, two kept); FIRST.g / LAST.g of the merged groups
            try await run(c, "data o; merge big names; by g; f = first.g; l = last.g; run;")
            let o = try await fetchAll(c, "o")
            #expect(o.column("id")?.data == .int64([5, 9_007_199_254_740_993, 7]))
            #expect(o.ints("f") == [1, 1, 0] && o.ints("l") == [1, 0, 1] && o.strings("label").map { $0 ?? "" } == ["", "two", "two"])
        }
    }

    @Test(arguments: Transport.allCases)
    func doLoopsRunAsSASRunsThem(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "one", "vars": [["name": "n"]], "rows": [[4]]])
            let code = """
                data o; set one;
                  s = 0; do i = 1 to n by 2; s = s + i; end;        /* 1 + 3 = 4; i ends at 5, the first value past n */
                  p = 1; do j = n to 1 by -1; p = p * j; end;       /* 4! = 24; j ends at 0 */
                  w = 0; do while (w < 3); w = w + 1; end;          /* 3 */
                  u = 10; do until (u > 5); u = u + 1; end;         /* the body runs once before the test: 11 */
                  z = 0; do while (z > 5); z = 99; end;             /* never runs: 0 */
                  e = 0; do k = 1 to 10; if k = 3 then continue; if k > 5 then leave; e = e + k; end;   /* 1+2+4+5 = 12, k = 6 */
                  q = 0; do a = 1 to 3; do b = 1 to a; q + 1; end; end;   /* 1 + 2 + 3 = 6 */
                  t = 0; do f = 0.5 to 1.6 by 0.5; t = t + f; end;  /* 0.5 + 1 + 1.5 = 3 */
                run;
                """
            try await run(c, code)
            let o = try await fetchAll(c, "o")
            #expect(o.ints("s") == [4] && o.ints("i") == [5] && o.ints("p") == [24] && o.ints("j") == [0])
            #expect(o.ints("w") == [3] && o.ints("u") == [11] && o.ints("z") == [0] && o.ints("e") == [12] && o.ints("k") == [6])
            #expect(o.ints("q") == [6] && doubles(o, "t") == [3])
        }
    }

    @Test(arguments: Transport.allCases)
    func callStreaminitSeedsTheStreamWhereverItStands(_ transport: Transport) async throws {
        try await withT(transport) { c in
            // SAS: CALL STREAMINIT is a declaration of the seed, wherever it stands; the same seed gives the same draws
            try await run(c, "data a; set t; call streaminit(42); r = rand('UNIFORM'); output = 1; run;")
            try await run(c, "data b; set t; if _n_ = 99 then do; call streaminit(42); end; r = rand('UNIFORM'); run;")
            let (a, b) = (try await fetchAll(c, "a"), try await fetchAll(c, "b"))
            let ra = (0..<5).map { a.column("r")?.data.double(at: $0) }, rb = (0..<5).map { b.column("r")?.data.double(at: $0) }
            #expect(ra == rb && Set(ra.compactMap { $0 }).count == 5 && ra.allSatisfy { ($0 ?? -1) >= 0 && ($0 ?? 1) < 1 })
            #expect(a.ints("output") == [1, 1, 1, 1, 1])   // a variable named output is assigned, not the OUTPUT statement
        }
    }

    @Test(arguments: Transport.allCases)
    func arraysReadAndAssignTheirElements(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "m", "vars": [["name": "x1"], ["name": "x2"], ["name": "x3"], ["name": "s", "type": "varchar"]],
                                               "rows": [[1, .null, 3, "a"], [4, 5, 6, "b"]]])
            let code = """
                data o; set m;
                  array x[*] x1-x3;              /* dim 3 */
                  array d{3};                    /* new variables d1 d2 d3 */
                  array c{2} $ c1 c2;
                  total = 0;
                  do i = 1 to dim(x);
                    if missing(x{i}) then x{i} = 0;   /* the missing x2 becomes 0 */
                    d[i] = x(i) * 2;
                    total = total + x{i};
                  end;
                  c{1} = s || '!'; c{2} = upcase(s);
                  n = dim(d);
                run;
                """
            try await run(c, code)
            let o = try await fetchAll(c, "o")
            #expect(o.ints("x2") == [0, 5] && o.ints("d1") == [2, 8] && o.ints("d2") == [0, 10] && o.ints("d3") == [6, 12])
            #expect(o.ints("total") == [4, 15] && o.ints("n") == [3, 3])
            #expect(o.strings("c1") == ["a!", "b!"] && o.strings("c2") == ["A", "B"])
            // SAS's "Array subscript out of range", naming the array and the subscript
            try await Self.refuses(c, [
                ("data o; set m; array x{3} x1-x3; y = x{4}; run;", ["dataStep.runCode", "statement 4", "Array subscript out of range", "x{4}"]),
                ("data o; set m; array x{3} x1-x3; x{9223372036854775807} = 1; run;", ["Array subscript out of range", "x{"]),
                ("data o; set m; array x{3} x1-x3; y = x{1.5}; run;", ["Array subscript out of range", "x{1.5}"]),
                ("data o; set m; array x{3} x1-x3; y = x{.}; run;", ["Array subscript out of range", "x{.}"]),
                ("data o; set m; array x{2} x1-x3; run;", ["statement 3", "names 3 variables"]),
                ("data o; set m; array x{2} x1 s; run;", ["statement 3", "numeric", "s"]),
                ("data o; set m; y = nosuch{1}; run;", ["statement 3", "not an array"]),
                ("data o; set m; array x{9223372036854775807}; run;", ["statement 3", "dimension"]),
                ("data o; set m; array x{*} v1-v99999999999; run;", ["statement 3", "v1-v99999999999"]),
            ])
        }
    }

    @Test(arguments: Transport.allCases)
    func retainValuesAndSumStatementsCarryFromRowToRow(_ transport: Transport) async throws {
        try await withT(transport) { c in
            // x: 1 2 3 . 5. total + x treats the missing x as 0: 1 3 6 6 11. acc from 100: 101 103 106 . (missing + is missing) …
            // last retains the previous row's x (missing before the first row); tag keeps 'x' until it is changed at row 3
            let code = """
                data o; set t;
                  retain total 0 acc 100 tag 'x';
                  total + x;
                  acc = acc + x;
                  prev = last; retain last; last = x;
                  if _n_ = 3 then tag = 'y';
                  fresh = fresh + 1;            /* not retained: missing at every row */
                  keep x total acc prev tag fresh;
                run;
                """
            try await run(c, code)
            let o = try await fetchAll(c, "o")
            #expect(o.ints("total") == [1, 3, 6, 6, 11] && o.ints("acc") == [101, 103, 106, nil, nil])
            #expect(o.ints("prev") == [nil, 1, 2, 3, nil] && o.strings("tag") == ["x", "x", "y", "y", "y"] && o.ints("fresh") == [nil, nil, nil, nil, nil])
            #expect(o.columns.map(\.name) == ["total", "acc", "tag", "x", "prev", "fresh"])   // RETAIN's variables first
            try await Self.refuses(c, [
                ("data o; set t; retain 0; run;", ["statement 3", "follows no variable"]),
                ("data o; set t; g + 1; run;", ["statement 3", "sum statement"]),
                ("data o; set t; retain g 0; run;", ["RETAIN", "g"]),
            ])
        }
    }

    @Test(arguments: Transport.allCases)
    func commentsAndRenameSwapsAreReadAsSASReadsThem(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "r", "vars": [["name": "id"], ["name": "s", "type": "varchar"]], "rows": [[1, "x"], [2, "y"]]])
            let code = """
                /* a header; with a semicolon */ data o;
                  * a comment statement, 'quotes' and all;
                  set r; /* y = 1; */
                  z = id * 2; * z is;
                run;
                """
            try await run(c, code)
            let o = try await fetchAll(c, "o")
            #expect(o.columns.map(\.name) == ["id", "s", "z"] && o.ints("z") == [2, 4])
            // computedVarsProgram shares the statement splitter: its comments are skipped too
            let f = try await ok(c, "table.fetch", ["table": ["name": "r", "computedVars": ["z"], "computedVarsProgram": "/* doubled; */ z = id * 2;"]])
            #expect(f.results["Fetch"]?.tableValue?.ints("z") == [2, 4])
            // rename=(id=s s=id) swaps the two, all pairs at once: as a statement, on the output and on the input
            for code in ["data w; set r; rename id=s s=id; run;", "data w(rename=(id=s s=id)); set r; run;", "data w; set r(rename=(id=s s=id)); run;"] {
                try await run(c, code)
                let w = try await fetchAll(c, "w")
                #expect(w.columns.map(\.name) == ["s", "id"], "\(code)")
                #expect(w.ints("s") == [1, 2] && w.strings("id") == ["x", "y"], "\(code)")
            }
            try await Self.refuses(c, [
                ("data w; set r; /* never closed; run;", ["comment", "line 1"]),
                ("data w; set r;\n\n  y = nosuch;\nrun;", ["statement 3", "line 3", "nosuch"]),
            ])
        }
    }
}

/// Hostile DATA step programs: huge loop bounds and subscripts, endless loops (stopped by the limit or a
/// cancel), deep nesting, memory that grows row by row.
@Suite("DataStep hostile programs", .serialized)
struct DataStepHostileTests {
    @Test(arguments: Transport.allCases)
    func hugeBoundsAndDeepNestingAreRefusedNotRun(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1], [2]]])
            let cases: [(String, [String])] = [
                ("data o; set t; do i = 1 to 1e19; end; run;", ["statement 3", "1e+19", "DO-loop iterations"]),
                ("data o; set t; do i = -9223372036854775808 to 9223372036854775807; end; run;", ["statement 3", "DO-loop iterations"]),
                ("data o; set t; do i = 1 to 1e308 by 1e-308; end; run;", ["statement 3", "DO-loop iterations"]),
                ("data o; set t; do i = 1 to 3 by 0; end; run;", ["statement 3", "Invalid DO loop control"]),
                ("data o; set t; do i = 1 to .; end; run;", ["statement 3", "Invalid DO loop control"]),
                ("data o; set t; do i = 1 to 'a'; end; run;", ["statement 3", "must be a number"]),
                ("data o; set t; do i = 1 to 3 while (x > 0); end; run;", ["statement 3", "TO and WHILE"]),
                ("data o; set t; do; x = 1; run;", ["DO without its END"]),
                ("data o; set t; end; run;", ["statement 3", "END without its DO"]),
                ("data o; set t; leave; run;", ["statement 3", "LEAVE"]),
                ("data o; set t; output nosuch; run;", ["statement 3", "nosuch"]),
                ("data o; set t; " + String(repeating: "do; ", count: 4_000) + String(repeating: "end; ", count: 4_000) + "run;", ["nested"]),
                ("data o; set t; " + String(repeating: "do i = 1 to 2; ", count: 9_000) + "run;", ["nested"]),
                ("data o; set t; " + String(repeating: "if x > 0 then ", count: 10_000) + "output; run;", ["statement 3", "nested"]),
                ("data o; set t; " + String(repeating: "do; ", count: 20_000) + "run;", ["at most 10000"]),
                ("data o; set t; y = " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000) + "; run;", ["statement 3", "nested too deeply"]),
                ("data o; set t; array a{2}; a{" + String(repeating: "a{", count: 5_000) + "1" + String(repeating: "}", count: 5_001) + " = 1; run;", ["statement 4"]),
            ]
            try await DataStepRowTests.refuses(c, cases)
            // a million array variables on 3 000 rows: 3·10⁹ values to reset and copy, refused before the first row
            try await ok(c, "table.addTable", ["table": "many", "vars": [["name": "x"]], "rows": .list((0..<3_000).map { [.int($0)] })])
            try await DataStepRowTests.refuses(c, [("data o; set many; array a{1000000}; run;", ["1000001 variables", "3000 rows"])])
            try await ok(c, "builtins.ping")
        }
    }

    @Test func anEndlessDoWhileStopsWhenCancelled() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            let id = Mutex<Int64?>(nil)
            let started = Date()
            let response = Task {
                try await c.call("dataStep.runCode", ["code": "data o; set t; do while (1); x = x + 1; end; run;"], onStart: { i in id.withLock { $0 = i } }, onEvent: nil)
            }
            try await Task.sleep(for: .milliseconds(500))
            try await c.cancel(try #require(id.withLock { $0 }))
            let r = try await response.value
            #expect(r.disposition.severity == .error && r.disposition.reason == "abort", "\(r.errorText)")
            #expect(Date().timeIntervalSince(started) < 10, "the loop saw the cancel at its next iteration")
            try await fails(c, "table.columnInfo", ["table": "o"], "o")   // nothing was written
            try await ok(c, "builtins.ping")
        }
    }

    @Test(arguments: Transport.allCases)
    func rowsAStepWritesAreChargedAsTheyAreMade(_ transport: Transport) async throws {
        try await TestServer.start(http: true, maxMemory: 256 << 20, maxSessionMemory: 32 << 20).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            // one row, 20 000 outputs of a 30 000-character string: 600 MB if nothing stopped it
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; do i = 1 to 20000; s = repeat('x', 29999); output; end; run;"],
                            "--max-session-memory", "DATA step")
            // a merge whose one left row (a 4 000-byte string) meets 10 000 right rows of its key makes 10 000 rows that
            // all carry the string (SAS keeps a table's last row while the other still has rows): 40 MB from 84 kB of input,
            // refused before it is made
            try await ok(c, "table.addTable", ["table": "l", "vars": [["name": "k"], ["name": "v", "type": "varchar"]],
                                               "rows": [[1, .string(String(repeating: "v", count: 4_000))]]])
            try await ok(c, "table.addTable", ["table": "r", "vars": [["name": "k"]], "rows": .list((0..<10_000).map { _ in [1] })])
            try await fails(c, "dataStep.runCode", ["code": "data m; merge l r; by k; run;"], "--max-session-memory", "DATA step")
            // what fits still runs
            try await ok(c, "dataStep.runCode", ["code": "data o; set t; do i = 1 to 3; s = repeat('x', 9); output; end; run;"])
            #expect(try await fetchAll(c, "o").strings("s") == Array(repeating: String(repeating: "x", count: 10), count: 3))
        }
    }
}
