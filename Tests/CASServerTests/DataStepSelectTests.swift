import CASTestSupport
import CASWire
import Testing

/// SELECT groups and DO value lists of the DATA step (docs/datastep.md). Expected rows are what SAS's
/// DATA step gives (worked out by hand in each comment).
@Suite("DATA step SELECT and DO lists", .serialized)
struct DataStepSelectTests {
    static let vars: Value = [["name": "id"], ["name": "name", "type": "varchar"], ["name": "score"]]
    static let rows: Value = [[1, "ann", 3.5], [2, "bob", .null], [3, "cy", 9], [4, "dee", 1]]

    @Test func selectWithAndWithoutAnExpression() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            // select (id): 1 and 4 → 'edge', 2 → 'two' (a DO block also sets k), others → 'mid';
            // select; first true WHEN: score missing (bob) → 'none', score > 5 (cy) → 'high', else 'low'
            let code = """
                data out;
                  set t;
                  select (id);
                    when (1, 4) kind = 'edge';
                    when (2) do; kind = 'two'; k = 2; end;
                    otherwise kind = 'mid';
                  end;
                  select;
                    when (missing(score)) level = 'none';
                    when (score > 5) level = 'high';
                    otherwise level = 'low';
                  end;
                  select (name);
                    when ('cy') ;
                    when ('ann', 'bob') n = 1;
                    otherwise;
                  end;
                run;
                """
            try await ok(c, "dataStep.runCode", ["code": .string(code)])
            let out = try await fetchAll(c, "out")
            #expect(out.strings("kind").map { $0 ?? "" } == ["edge", "two", "mid", "edge"])
            #expect(out.strings("level").map { $0 ?? "" } == ["low", "none", "high", "low"])
            #expect((0..<4).map { out.column("k")?.data.double(at: $0) } == [nil, 2, nil, nil])
            #expect((0..<4).map { out.column("n")?.data.double(at: $0) } == [1, 1, nil, nil])
        }
    }

    @Test func aSelectOfManyWhensIsFlatNotDeep() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            // 9 000 WHENs: as nested IF/ELSE nodes this was 9 000 levels of recursion in compile and run
            let whens = (1...9_000).map { "when (\($0 * 10)) k = \($0);" }.joined(separator: "\n")
            let code = "data out; set t; select (id * 10 + 8960); \(whens) otherwise k = -1; end; run;"
            try await ok(c, "dataStep.runCode", ["code": .string(code)])
            // ids 1-4 give 8970…9000: WHENs 897…900
            let out = try await fetchAll(c, "out")
            #expect((0..<4).map { out.column("k")?.data.double(at: $0) } == [897, 898, 899, 900])
        }
    }

    @Test func selectErrors() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            // no OTHERWISE: id 3 matches no WHEN → SAS's run-time error, naming the SELECT's line; no table written
            try await fails(c, "dataStep.runCode", ["code": "data out;\n set t;\n select (id);\n when (1, 2, 4) x = 1;\n end;\nrun;"],
                            "no WHEN clause", "line 3", "OTHERWISE")
            try await fails(c, "table.fetch", ["table": "out"], "out")
            try await fails(c, "dataStep.runCode", ["code": "data out; set t; select (id); otherwise x = 0; when (1) x = 1; end; run;"],
                            "WHEN after OTHERWISE")
            try await fails(c, "dataStep.runCode", ["code": "data out; set t; select (id); when (1) x = 1; run;"], "SELECT")
            try await fails(c, "dataStep.runCode", ["code": "data out; set t; select (rand('uniform') > 0.5); when (1) x = 1; otherwise; end; run;"],
                            "RAND")
            try await fails(c, "dataStep.runCode", ["code": "data out; set t; when (1) x = 1; run;"], "SELECT group")
            try await fails(c, "dataStep.runCode", ["code": "data out; set t; select (id); x = 1; end; run;"], "WHEN and OTHERWISE")
            try await fails(c, "dataStep.runCode", ["code": "data out; set t; select; end; run;"], "at least one WHEN")
            try await ok(c, "builtins.serverStatus")
        }
    }

    @Test func lagAndDif() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            // scores 3.5, ., 9, 1 and ids 1-4: LAG(score) = ., 3.5, ., 9; LAG2(id) = ., ., 1, 2; DIF(id) = ., 1, 1, 1;
            // a LAG under IF runs only when the IF is true (SAS's queue per call): for ids 3 and 4 it gives '' then 'cy';
            // LAG(LAG(id)) is LAG2 of id; a word like lagoon or a variable lag_x is not a call
            let code = """
                data out;
                  set t;
                  prev = lag(score);
                  prev2 = lag2(id);
                  d = dif(id);
                  if id > 2 then cond = lag(name);
                  nested = lag( lag(id) );
                  lag_x = 1; lagoon = lag_x + 1;
                  text = 'lag(x) stays text';
                run;
                """
            try await ok(c, "dataStep.runCode", ["code": .string(code)])
            let out = try await fetchAll(c, "out")
            func col(_ n: String) -> [Double?] { (0..<out.rowCount).map { out.column(n)?.data.double(at: $0) } }
            #expect(col("prev") == [nil, 3.5, nil, 9])
            #expect(col("prev2") == [nil, nil, 1, 2])
            #expect(col("d") == [nil, 1, 1, 1])
            #expect(col("nested") == [nil, nil, 1, 2])
            #expect(out.strings("cond").map { $0 ?? "" } == ["", "", "", "cy"])
            #expect(col("lagoon") == [2, 2, 2, 2])
            #expect(out.strings("text").first == "lag(x) stays text")
            #expect(!out.columns.contains { $0.name.hasPrefix("__") }, "hidden slots are not written: \(out.columns.map(\.name))")
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; x = lag101(id); run;"], "LAG101", "1 to 100")
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; x = dif(name); run;"], "DIF1 needs a number")
        }
    }

    @Test func putWritesLogLines() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            let r = try await ok(c, "dataStep.runCode", ["code": "data _null_x; set t; if id <= 2 then put 'row' _n_ name= score= 'it''s'; run;"])
            let lines = r.logs.map(\.message)
            #expect(lines.contains("row 1 name=ann score=3.5 it's"), "\(lines)")
            #expect(lines.contains("row 2 name=bob score=. it's"), "\(lines)")
            #expect(!lines.contains { $0.hasPrefix("row 3") })
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; put x 5.2; run;"], "PUT")
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; put 'open; run;"], "run;")   // the quote runs to the end
            // a PUT in a long loop: at most 10 000 lines, then one NOTE
            let many = try await ok(c, "dataStep.runCode", ["code": "data o; set t; do i = 1 to 3000; put i; end; run;"])
            #expect(many.logs.filter { Double($0.message) != nil }.count == 10_000)
            #expect(many.logs.contains { $0.message.contains("the rest of this step's PUT output is left out") })
        }
    }

    @Test func deeplyNestedLagsAreRefusedNotRecursed() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            let deep = String(repeating: "lag(", count: 5_000) + "id" + String(repeating: ")", count: 5_000)
            try await fails(c, "dataStep.runCode", ["code": .string("data o; set t; x = \(deep); run;")], "LAG")
            // a few levels are fine: LAG(LAG(LAG(id))) is LAG3
            try await ok(c, "dataStep.runCode", ["code": "data o; set t; x = lag(lag(lag(id))); run;"])
        }
    }

    @Test func doValueLists() async throws {
        try await TestServer.start().run { s in
            let c = try await s.connect()
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": [[1, "ann", 3.5]]])
            // do i = 2, 5, 11: total = 18, i keeps the last value (11); the character list writes one row per word;
            // LEAVE at 'b' stops the second list after 'a'
            let code = """
                data out;
                  set t;
                  total = 0;
                  do i = 2, 5, 11; total = total + i; end;
                  do w = 'x', 'yy', 'zzz'; output; end;
                  do v = 'a', 'b', 'c'; if v = 'b' then leave; last = v; end;
                run;
                """
            try await ok(c, "dataStep.runCode", ["code": .string(code)])
            let out = try await fetchAll(c, "out")
            #expect(out.rowCount == 3)
            #expect((0..<3).map { out.column("total")?.data.double(at: $0) } == [18, 18, 18])
            #expect((0..<3).map { out.column("i")?.data.double(at: $0) } == [11, 11, 11])
            #expect(out.strings("w").map { $0 ?? "" } == ["x", "yy", "zzz"])
            // OUTPUT ran before the third loop: v and last are still missing in every written row
            #expect(out.strings("last").map { $0 ?? "" } == ["", "", ""])
            try await fails(c, "dataStep.runCode", ["code": "data out2; set t; do i = 1, 'a'; end; run;"], "index i")
            try await fails(c, "dataStep.runCode", ["code": "data out2; set t; do i = 1, , 3; end; run;"], "empty value")
        }
    }
}
