import CASTestSupport
import CASWire
import Testing

/// The DATA step forms DLPy's object-detection tables send (docs/datastep.md): `_numeric_` / `_character_`
/// arrays, OF lists in function calls, `cmiss` / `nmiss`, `inputc`, and runCode's `nThreads`. Expected values
/// are worked out by hand from the rows in each comment.
@Suite("DATA step variable lists", .serialized)
struct DataStepVariableListTests {
    // id and a, b numeric (a missing in row 2, both in row 3), name character (blank in row 3)
    static let vars: Value = [["name": "id"], ["name": "name", "type": "varchar"], ["name": "a"], ["name": "b"]]
    static let rows: Value = [[1, "ann", 1.5, 2], [2, "bob", .null, 4], [3, "", .null, .null]]

    /// OF _all_ / _numeric_ / _character_ (swat's `cmiss(of _all_)`), and hundreds of OF lists in one statement, written
    /// out in one pass (each used to rescan the statement from its start). Row 1: a 1.5, b 2; row 2: a missing, b 4.
    @Test func ofAllNumericAndCharacterListsAndManyOfListsInOneStatement() async throws {
        try await TestServer.start().run { s in
            let c = try await s.client(.jsonLines)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            let many = Array(repeating: "sum(of a b)", count: 450).joined(separator: " + ")
            try await ok(c, "dataStep.runCode", ["code": .string("""
                data o; set t; all = cmiss(of _all_); num = nmiss(of _numeric_); chr = cmiss(of _character_); nn = n(of _numeric_); big = \(many); run;
                """)])
            let o = try await fetchAll(c, "o")
            // _all_: id, name, a, b → row 3 misses name, a, b (3); _numeric_: id, a, b → a and b (2); _character_: name
            #expect(o.ints("all") == [0, 1, 3] && o.ints("num") == [0, 1, 2] && o.ints("chr") == [0, 0, 1])
            #expect(o.ints("nn") == [3, 2, 1])   // SAS's N: id, a, b not missing
            #expect(o.column("big")?.data.double(at: 0) == 450 * 3.5 && o.column("big")?.data.double(at: 1) == 450 * 4)
        }
    }

    @Test(arguments: Transport.allCases)
    func numericArraysOfListsAndMissingCounts(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            // _all is id, a, b (the input's numeric columns; not k, m, n made later): dim 3; cmiss/nmiss count a, b's
            // missing cells (0, 1, 2); cmiss(name, a) counts a blank name too (0, 1, 2); sum(of …) skips missing
            let code = """
                data o; set t;
                  array _all _numeric_;
                  array txt $ _character_;
                  k = dim(_all);
                  m = cmiss(of _all[*]);
                  n = nmiss(of _all{*});
                  c = cmiss(name, a);
                  s = sum(of a b, id);
                  d = dim(txt);
                  _nObjects_ = (dim(_all) - cmiss(of _all[*])) / 1;
                run;
                """
            try await ok(c, "dataStep.runCode", ["code": .string(code), "nThreads": 1, "single": "YES"])
            let o = try await fetchAll(c, "o")
            #expect(o.ints("k") == [3, 3, 3] && o.ints("d") == [1, 1, 1])
            #expect(o.ints("m") == [0, 1, 2] && o.ints("n") == [0, 1, 2] && o.ints("c") == [0, 1, 2])
            #expect((0..<3).map { o.column("s")?.data.double(at: $0) } == [4.5, 6, 3])
            #expect(o.ints("_nObjects_") == [3, 2, 1])
            #expect(o.columns.map(\.name) == ["id", "name", "a", "b", "k", "m", "n", "c", "s", "d", "_nObjects_"])
        }
    }

    @Test(arguments: Transport.allCases)
    func variableListsRefuseWhatTheyCannotMean(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": Self.vars, "rows": Self.rows])
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; array a _numeric_ x; run;"], "stand alone")
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; array a $ _numeric_; run;"], "_character_")
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; array a _all_; run;"], "_all_")
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; m = cmiss(of nosuch[*]); run;"], "nosuch", "ARRAY")
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; m = cmiss(of ); run;"], "OF")
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; run;", "nThreads": -1], "nThreads")
            try await ok(c, "table.addTable", ["table": "nums", "vars": [["name": "s", "type": "varchar"]], "rows": [["x"]]])
            try await fails(c, "dataStep.runCode", ["code": "data o; set nums; array a _numeric_; run;"], "no numeric column")
        }
    }

    @Test(arguments: Transport.allCases)
    func inputcReadsWithCharacterInformats(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "f", "vars": [["name": "path", "type": "varchar"]], "rows": [["/data/voc/img_07.jpg"], ["/x/  ab.png"]]])
            // DLPy's program: the file name (last word between '/'), without its 4-character extension, read with a bare
            // width informat; $3. takes 3 characters and drops leading blanks, $CHAR3. keeps them
            let program = "length idjoin $ 6; fn = scan(path, -1, '/'); idjoin = inputc(substr(fn, 1, length(fn) - 4), '6.');"
                + " cut = inputc(fn, '$3.'); kept = inputc(fn, '$CHAR3.');"
            try await ok(c, "table.partition", ["table": ["name": "f", "compVars": ["idjoin", "cut", "kept"], "compPgm": .string(program), "vars": ["idjoin", "cut", "kept"]],
                                                "casOut": ["name": "g", "replace": true, "replication": 0]])
            let g = try await fetchAll(c, "g")
            #expect(g.strings("idjoin") == ["img_07", "ab"] && g.strings("cut") == ["img", "a"] && g.strings("kept") == ["img", "  a"])
            try await fails(c, "table.partition", ["table": ["name": "f", "computedVars": ["x"], "computedVarsProgram": "x = inputc(path, 'best12.');"],
                                                   "casOut": "h"], "inputc", "informat")
        }
    }
}
