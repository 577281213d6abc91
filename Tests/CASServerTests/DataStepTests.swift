import CASTestSupport
import CASWire
import Testing

/// table.view and dataStep.runCode's subset (docs/datastep.md) over both front ends. Expected rows are
/// what SAS's DATA step semantics give on the data (worked out by hand in each comment).
@Suite("DATA step subset and views", .serialized)
struct DataStepTests {
    static let vars: Value = [["name": "id"], ["name": "name", "type": "varchar"], ["name": "score"]]
    static let rows: Value = [[1, "ann", 3.5], [2, "bob", .null], [3, "cy", 9], [4, "dee", 1]]

    /// Name literals (`"my var"n`, which swat writes for every name with a blank) are one name in KEEP, DROP, RETAIN,
    /// RENAME, BY, OF lists and keep=/drop=/rename= options — not split at the blank, not a string initial value.
    @Test func nameLiteralsAreNamesEverywhere() async throws {
        try await TestServer.start().run { s in
            let c = try await s.client(.jsonLines)
            try await ok(c, "table.addTable", ["table": "sp", "vars": [["name": "my var", "type": "varchar"], ["name": "v 2"], ["name": "Z"]],
                                               "rows": [["a", 1, 5], ["b", 2, 6], ["a", 3, 7], ["b", 4, 8]]])
            try await ok(c, "dataStep.runCode", ["code": #"data o; set sp; keep "my var"n Z; run;"#])
            #expect(try await fetchAll(c, "o").columns.map(\.name) == ["my var", "Z"])
            try await ok(c, "dataStep.runCode", ["code": #"data o; set sp; drop "v 2"n; run;"#])
            #expect(try await fetchAll(c, "o").columns.map(\.name) == ["my var", "Z"])
            // q and "my var"n are two retained variables (q without a value), not q = 'my var'
            let r = try await ok(c, "dataStep.runCode", ["code": #"data o; retain q "my var"n; set sp; q = 1; run;"#])
            let o = try await fetchAll(c, "o")
            #expect(o.columns.map(\.name).prefix(2) == ["q", "my var"] && o.strings("my var") == ["a", "b", "a", "b"], "\(r.warnings)")
            try await ok(c, "dataStep.runCode", ["code": #"data o; set sp(keep="my var"n "v 2"n rename=("v 2"n = v2)); rename "my var"n=mv; t = sum(of v2 v2); run;"#])
            let p = try await fetchAll(c, "o")
            #expect(p.columns.map(\.name) == ["mv", "v2", "t"] && p.ints("t") == [2, 4, 6, 8])
            // BY a name literal: the step orders the rows by it (a, a, b, b)
            try await ok(c, "dataStep.runCode", ["code": #"data o; set sp; by "my var"n; run;"#])
            let b = try await fetchAll(c, "o")
            #expect(b.strings("my var") == ["a", "a", "b", "b"])
        }
    }

    /// keep=/drop= data set options (swat's merge of topk's transposed tables: `merge a(keep=g g_f x in=__n) b(keep=g g_f g m
    /// in=__c);`, a name twice), and KEEP/DROP/RENAME statements naming a variable the step does not have: a WARNING
    /// and ignored, as SAS ("has never been referenced"; swat drops `_NAME_` after a keep= removed it).
    @Test func keepAndDropOptionsAndStatementsNamingNothing() async throws {
        try await TestServer.start().run { s in
            let c = try await s.client(.jsonLines)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            try await ok(c, "table.addTable", ["table": "u", "vars": [["name": "id"], ["name": "tag", "type": "varchar"], ["name": "w"]],
                                               "rows": [[1, "a", 10], [3, "c", 30]]])
            let r = try await ok(c, "dataStep.runCode", ["code": """
                data o; merge t(keep=id score in=a) u(keep=id id tag in=b); by id; if a and b; drop _NAME_; rename nope=x; run;
                """])
            #expect(r.warnings.contains { $0.contains("_NAME_") && $0.contains("DROP") }, "\(r.warnings)")
            #expect(r.warnings.contains { $0.contains("nope") && $0.contains("RENAME") }, "\(r.warnings)")
            let o = try await fetchAll(c, "o")
            #expect(o.columns.map(\.name) == ["id", "score", "tag"])
            #expect(o.ints("id") == [1, 3] && o.strings("tag") == ["a", "c"])
            // an output table's keep=/drop= naming what it lacks: a WARNING (SAS's DKROCOND=WARN); a million missing names
            // in a KEEP statement: 20 WARNINGs and one count, not a million
            let many = (0..<100_000).map { "v\($0)" }.joined(separator: " ")
            let w = try await ok(c, "dataStep.runCode", ["code": .string("data q(drop=nosuch); set t; keep id \(many); run;")])
            #expect(w.warnings.count == 22 && w.warnings.contains { $0.contains("nosuch") && $0.contains("drop=") }, "\(w.warnings.count)")
            #expect(w.warnings.contains { $0.hasPrefix("99980 more variables") }, "\(w.warnings.suffix(2))")
            #expect(try await fetchAll(c, "q").columns.map(\.name) == ["id"])
            try await ok(c, "dataStep.runCode", ["code": "data p(drop=score); set t(drop=name); keep id score zz; run;"])
            let p = try await fetchAll(c, "p")
            #expect(p.columns.map(\.name) == ["id"] && p.rowCount == 4)
        }
    }

    @Test(arguments: Transport.allCases)
    func viewsSelectComputeAndSnapshot(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            let v = try await ok(c, "table.view", ["name": "v", "tables": [["name": "t", "where": "score > 2", "vars": ["id", "double"],
                                                                              "computedVars": ["double"], "computedVarsProgram": "double = score * 2;"]]])
            #expect(v.results["viewName"] == "v")
            let t = try await fetchAll(c, "v")
            #expect(t.columns.map(\.name) == ["id", "double"] && t.ints("id") == [1, 3] && t.ints("double") == [7, 18])
            // several tables: their rows one after the other, each with its own where / computedVars / vars, columns by
            // name (ID matches id); u has no score, so its rows have a missing one. t: scores 3.5, ., 9, 1
            // and 0 < score < 5 keeps 3.5 and 1 (ids 1 and 4); u: id 7, with half = 3.5
            try await ok(c, "table.addTable", ["table": "u", "vars": [["name": "ID"], ["name": "extra", "type": "varchar"]], "rows": [[7, "x"], [8, "y"]]])
            try await ok(c, "table.view", ["name": "v2", "tables": [["name": "t", "where": "score < 5 and score > 0", "vars": ["id", "score"]],
                                                                   ["name": "u", "where": "id = 7", "computedVars": ["half"], "computedVarsProgram": "half = id / 2;"]]])
            let v2 = try await fetchAll(c, "v2")
            #expect(v2.columns.map(\.name) == ["id", "score", "extra", "half"])
            #expect(v2.ints("id") == [1, 4, 7])
            #expect((0..<3).map { v2.column("score")?.data.double(at: $0) } == [3.5, 1, nil] && (0..<3).map { v2.column("half")?.data.double(at: $0) } == [nil, nil, 3.5])
            #expect(v2.strings("extra").map { $0 ?? "" } == ["", "", "x"])
            try await ok(c, "table.addTable", ["table": "clash", "vars": [["name": "score", "type": "varchar"]], "rows": [["high"]]])
            try await fails(c, "table.view", ["name": "v3", "tables": [["name": "t"], ["name": "clash"]]], "tables", "score", "both")
            try await fails(c, "table.view", ["name": "v3", "tables": [["name": "t"], ["name": "nosuch"]]], "nosuch", "tables[2]")
            try await fails(c, "table.view", ["name": "v", "tables": [["name": "t"]]], "already exists", "replace")
            try await fails(c, "table.view", ["name": "a/b", "tables": [["name": "t"]]], "name")
        }
    }

    @Test(arguments: Transport.allCases)
    func runCodeSetsAssignsFiltersAndSelects(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            try await ok(c, "table.addTable", ["table": "u", "vars": [["name": "id"], ["name": "extra", "type": "varchar"]], "rows": [[7, "x"]]])
            // where drops ann (id 1); y = score * 10; the subsetting if keeps y < 50 — a missing y too, as SAS
            // compares missing below every number — so it drops cy (90); `then delete` then finds no id 1 left
            let code = """
                data "out"(replace=yes);
                  set t u;
                  where id > 1;
                  y = score * 10;
                  if y < 50 or name = '';
                  if id = 1 then delete;
                  keep id y extra name;
                  rename extra = note;
                run;
                """
            let r = try await ok(c, "dataStep.runCode", ["code": .string(code)])
            #expect(r.results["OutputCasTables"]?.tableValue?.ints("Rows") == [3])
            #expect(r.results["InputCasTables"]?.tableValue?.strings("Name") == ["t", "u"])
            let out = try await fetchAll(c, "out")
            // bob (y missing), dee (y 10) and u's row (id 7: no score, so y missing; no name)
            #expect(out.columns.map(\.name) == ["id", "name", "note", "y"])      // the order they were made in, not KEEP's
            #expect(out.ints("id") == [2, 4, 7] && out.ints("y") == [nil, 10, nil] && out.strings("note").map { $0 ?? "" } == ["", "", "x"])   // REST sends a missing string as ""
        }
    }

    @Test(arguments: Transport.allCases)
    func ifThenElseChainsAndTheOutputReplacesItsInput(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            // scores 3.5, ., 9, 1: band is 'low' below 2, else 'mid' below 5, else 'high' (a missing score is below 2);
            // fill a missing score with 0 after that; drop name 'cy' with an else-if delete chain; t is replaced
            let code = """
                data t; set t;
                  if score < 2 then band = 'low'; else if score < 5 then band = 'mid'; else band = 'high';
                  if missing(score) then score = 0;
                  if name = 'zz' then delete; else if name = 'cy' then delete;
                run;
                """
            try await ok(c, "dataStep.runCode", ["code": .string(code)])
            let t = try await fetchAll(c, "t")
            #expect(t.ints("id") == [1, 2, 4])
            #expect(t.strings("band") == ["mid", "low", "low"] && t.columns.map(\.name) == ["id", "name", "score", "band"])
            #expect(t.column("score")?.data == .double([3.5, 0, 1]))
        }
    }

    @Test(arguments: Transport.allCases)
    func runCodeRefusesWhatItDoesNotRunAndNamesTheStatement(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            try await ok(c, "table.addTable", ["table": "n", "vars": [["name": "name"]], "rows": [[1]]])
            let cases: [(String, [String])] = [
                ("data o; set t; format x 8.; run;", ["dataStep.runCode", "statement 3", "format x 8.", "not supported"]),
                ("data o; set t; do i = 1, 5 to 7; end; run;", ["statement 3", "a DO value list with TO"]),
                ("data o; set t; if id > 1 then do; keep id; end; run;", ["statement 4", "declarations inside a DO block"]),
                ("data o(in=a); set t; run;", ["in=", "not supported"]),
                ("data o; set t(in=a); run;", ["statement 2", "in= is read with MERGE"]),
                ("data o; set t; input id; run;", ["statement 3", "input id"]),
                ("data; set t; run;", ["names the tables to write"]),
                ("set t; run;", ["must begin with a DATA statement"]),
                ("data o; set t;", ["must end with `run;`"]),
                ("data o; set t; run; data p; set t; run;", ["one DATA step per call"]),
                ("data o; set t; y = nosuch + 1; run;", ["statement 3", "nosuch"]),
                ("data o; set t(keep=id nosuch); run;", ["keep=", "nosuch", "not a column"]),
                ("data o; set t(keep=); run;", ["keep= without variable names"]),
                ("data o; set t n; run;", ["name", "both"]),
                ("data o(copies=2); set t; run;", ["copies", "not supported"]),
                ("data o; set nosuch; run;", ["nosuch"]),
                ("data t(replace=no); set t; run;", ["already exists", "replace"]),
                ("data o; set t; " + String(repeating: "if id > 0 then ", count: 5_000) + "x = 1; run;", ["statement 3", "nested"]),
                ("data o; set t; " + String(repeating: "if id > 0 then do; ", count: 5_000) + "run;", ["nested"]),
                ("data o; set t; else x = 1; run;", ["statement 3", "ELSE must follow"]),
                ("data o; set t; if id > 1 then x = 'a'; else x = 2; run;", ["statement 4", "varchar", "double"]),
            ]
            for (code, fragments) in cases {
                let r = try await c.call("dataStep.runCode", ["code": .string(code)])
                #expect(r.disposition.severity == .error, "\(code)")
                for f in fragments { #expect(r.errorText.contains(f), "'\(f)' not in: \(r.errorText) — \(code)") }
            }
        }
    }
}

/// Histogram bins and their limits (the memory budget charges every result row).
@Suite("datapreprocess.histogram bounds", .serialized)
struct HistogramBoundsTests {
    @Test(arguments: Transport.allCases)
    func binsAreCountedAndHugeRequestsAreRefused(_ transport: Transport) async throws {
        try await TestServer.start(http: true, maxMemory: 16 << 20).run { s in   // 8 MiB per session
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "h", "vars": [["name": "x"], ["name": "s", "type": "varchar"]],
                                               "rows": [[0.5, "a"], [1.0, "b"], [2.0, "c"], [2.5, "d"], [7.0, "e"], [.null, "f"], [10.0, "g"]]])
            // width 5 from 0: [0,5) holds 4 values, [5,10) 1, [10,15) the maximum
            let r = try await ok(c, "datapreprocess.histogram", ["table": "h", "inputs": ["x"], "binWidth": 5])
            let t = try #require(r.results["BinDetails"]?.tableValue)
            #expect(t.ints("NInBin") == [4, 1, 1] && t.ints("BinLowerBnd") == [0, 5, 10])
            try await fails(c, "datapreprocess.histogram", ["table": "h", "inputs": ["s"]], "varchar", "inputs[1]")
            try await fails(c, "datapreprocess.histogram", ["table": "h", "inputs": ["x"], "binWidth": 1e-9], "binWidth", "100000")
            try await fails(c, "datapreprocess.histogram", ["table": "h", "inputs": ["x"], "nBins": 100_000, "binWidth": 1], "not both")
            // binning: BUCKET over [0.5, 10] in 2 bins of 4.75 → 0.5, 1, 2, 2.5 in bin 1; 7 and 10 in bin 2; missing in 0
            try await ok(c, "datapreprocess.binning", ["table": "h", "inputs": ["x"], "nBinsArray": [2], "copyVars": ["s"], "casOut": ["name": "hb"]])
            #expect(try await fetchAll(c, "hb").ints("BIN_x") == [1, 1, 1, 1, 2, 0, 2])
            try await fails(c, "datapreprocess.binning", ["table": "h", "inputs": ["x"], "nBinsArray": [2, 3]], "nBinsArray", "one per input")
            try await fails(c, "datapreprocess.binning", ["table": "h", "inputs": ["s"]], "varchar", "inputs[1]")
            try await fails(c, "datapreprocess.binning", ["table": ["name": "h", "groupBy": ["s"]]], "table.groupBy")
            try await fails(c, "datapreprocess.binning", ["table": "h", "inputs": ["x"], "copyVars": ["nosuch"], "casOut": ["name": "hb2"]], "copyVars[1]")
            let huge = try await c.call("datapreprocess.histogram", ["table": "h", "inputs": ["x"], "nBins": 100_000])   // 16 MB of rows
            #expect(huge.disposition.severity == .error && huge.errorText.contains("memory"), "\(huge.errorText)")
        }
    }
}

/// MERGE … BY and DO blocks: the code swat's `merge` writes, with SAS's match-merge rows worked out by hand.
@Suite("DATA step MERGE", .serialized)
struct DataStepMergeTests {
    @Test(arguments: Transport.allCases)
    func matchMergeRetainsAndFlags(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "l", "vars": [["name": "k"], ["name": "a", "type": "varchar"]],
                                               "rows": [[1, "l1"], [2, "l2a"], [2, "l2b"], [4, "l4"]]])
            try await ok(c, "table.addTable", ["table": "r", "vars": [["name": "key"], ["name": "b", "type": "varchar"]],
                                               "rows": [[2, "r2"], [3, "r3"], [1, "r1a"], [1, "r1b"]]])
            // groups: 1 → l1 with r1a, then l1 kept with r1b; 2 → l2a with r2, l2b with r2 kept; 3 → r3 only; 4 → l4 only.
            // inner join keeps the groups with both; `_merge` says where each row came from (swat's indicator code)
            let code = """
                data "m";
                  retain k a key b;
                  merge l(in=__in_left rename=(k=__by_var)) r(in=__in_right rename=(key=__by_var));
                  by __by_var;
                  if __in_left or __in_right then do;
                    if __in_left then do; k = __by_var; end;
                    if __in_right then do; key = __by_var; end;
                  end;
                  else do; delete; end;
                  length _merge $10;
                  if __in_left then
                    if __in_right then _merge = "both";
                    else _merge = "left_only";
                  else _merge = "right_only";
                  drop __by_var;
                run;
                """
            try await ok(c, "dataStep.runCode", ["code": .string(code)])
            let m = try await fetchAll(c, "m")
            #expect(m.columns.map(\.name) == ["k", "a", "key", "b", "_merge"])
            // k and key are RETAINed (swat's code retains them to order the columns), so a group that does not assign
            // one keeps the previous row's value, as in SAS: group 3 has no left row (k stays 2), group 4 no right row (key stays 3)
            #expect(m.ints("k") == [1, 1, 2, 2, 2, 4] && m.ints("key") == [1, 1, 2, 2, 3, 3])
            #expect(m.strings("a").map { $0 ?? "" } == ["l1", "l1", "l2a", "l2b", "", "l4"])
            #expect(m.strings("b").map { $0 ?? "" } == ["r1a", "r1b", "r2", "r2", "r3", ""])
            #expect(m.strings("_merge") == ["both", "both", "both", "both", "right_only", "left_only"])
            try await fails(c, "dataStep.runCode", ["code": "data o; merge l r; run;"], "MERGE needs a BY")
            try await fails(c, "dataStep.runCode", ["code": "data o; merge l r(rename=(key=k)); by descending k; run;"], "DESCENDING")
            try await fails(c, "dataStep.runCode", ["code": "data o; merge l r(rename=(key=k)); by nosuch; run;"], "nosuch")
            try await fails(c, "dataStep.runCode", ["code": "data o; set l; if k > 1 then do; a = 'x'; run;"], "DO without its END")
        }
    }
}
