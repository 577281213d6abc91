import CASCore
import CASTestSupport
import CASWire
import Testing

/// transpose.transpose (PROC TRANSPOSE in CAS, docs/transpose.md) over both front ends. Expected tables are
/// worked out by hand from the input rows in each comment; the hostile cases end in clear errors with the
/// session still answering.
@Suite("transpose.transpose", .serialized)
struct TransposeTests {
    /// DLPy's long label table: one row per object, idjoin the image, seq_id the object's number in it.
    static let labelVars: Value = [["name": "idjoin", "type": "varchar"], ["name": "seq_id"], ["name": "cls", "type": "varchar"], ["name": "x"]]
    static let labelRows: Value = [["img_b", 0, "red", 0.25], ["img_b", 1, "blue", 0.5], ["img_a", 0, "blue", 0.75]]

    func start(_ c: any TestClient) async throws {
        try await ok(c, "builtins.loadActionSet", ["actionSet": "transpose"])
    }

    @Test(arguments: Transport.allCases)
    func groupsBecomeRowsAndIdValuesColumns(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await start(c)
            try await ok(c, "table.addTable", ["table": "labels", "vars": Self.labelVars, "rows": Self.labelRows])
            // groups in ascending idjoin order (img_a, img_b); ids 0 and 1 make _Object0_x and _Object1_x
            // (first seen: 0 in img_a); img_a has no object 1, so its cell is missing
            let r = try await ok(c, "transpose.transpose", ["table": ["name": "labels", "groupBy": ["idjoin"]], "transpose": ["x"], "id": ["seq_id"],
                                                            "prefix": "_Object", "suffix": "_x", "casOut": ["name": "wide", "replace": true]])
            #expect(r.results["OutputCasTables"]?.tableValue?.ints("Rows") == [2])
            let t = try await fetchAll(c, "wide")
            #expect(t.columns.map(\.name) == ["idjoin", "_NAME_", "_Object0_x", "_Object1_x"])
            #expect(t.strings("idjoin") == ["img_a", "img_b"] && t.strings("_NAME_") == ["x", "x"])
            #expect((0..<2).map { t.column("_Object0_x")?.data.double(at: $0) } == [0.75, 0.25])
            #expect((0..<2).map { t.column("_Object1_x")?.data.double(at: $0) } == [nil, 0.5])
            #expect(t.column("_Object0_x")?.type == .double)
            // a character variable gives character columns: img_a 'blue' and nothing, img_b 'red', 'blue'
            try await ok(c, "transpose.transpose", ["table": ["name": "labels", "groupBy": ["idjoin"]], "transpose": ["cls"], "id": ["seq_id"],
                                                    "prefix": "_Object", "suffix": "_", "casOut": ["name": "cls", "replace": true]])
            let k = try await fetchAll(c, "cls")
            #expect(k.columns.map(\.name) == ["idjoin", "_NAME_", "_Object0_", "_Object1_"] && k.column("_Object0_")?.type == .varchar)
            #expect(k.strings("_Object0_") == ["blue", "red"] && k.strings("_Object1_").map { $0 ?? "" } == ["", "blue"])
        }
    }

    @Test(arguments: Transport.allCases)
    func withoutIdOrVariablesAsProcTranspose(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await start(c)
            // scores of two students in two years; ids appear as 2006 then 2005 in ann's group
            try await ok(c, "table.addTable", ["table": "scores", "vars": [["name": "who", "type": "varchar"], ["name": "year"], ["name": "math"], ["name": "art"]],
                                               "rows": [["ann", 2006, 7, 1], ["ann", 2005, 5, 2], ["bob", 2005, 9, 3]]])
            // no transpose list: every numeric column but the by- and id variables (math, art), one row each per
            // group; a numeric id value without a prefix begins with a digit, so SAS puts '_' before it
            try await ok(c, "transpose.transpose", ["table": ["name": "scores", "groupBy": ["who"]], "id": "year", "casOut": "byYear"])
            let y = try await fetchAll(c, "byYear")
            #expect(y.columns.map(\.name) == ["who", "_NAME_", "_2006", "_2005"])
            #expect(y.strings("who") == ["ann", "ann", "bob", "bob"] && y.strings("_NAME_") == ["math", "art", "math", "art"])
            #expect(y.ints("_2006") == [7, 1, nil, nil] && y.ints("_2005") == [5, 2, 9, 3])
            // no id: COL1, COL2 by position in the group (prefix replaces COL); name= renames _NAME_; no groups: one
            try await ok(c, "transpose.transpose", ["table": "scores", "transpose": ["math"], "prefix": "m", "name": "var", "casOut": "byRow"])
            let p = try await fetchAll(c, "byRow")
            #expect(p.columns.map(\.name) == ["var", "m1", "m2", "m3"] && p.ints("m1") == [7] && p.ints("m3") == [9])
            // a where filter and vars on the table reference apply first: only 2005 rows (ann's second row, bob's)
            try await ok(c, "transpose.transpose", ["table": ["name": "scores", "where": "year = 2005", "vars": ["math"]], "transpose": ["math"], "casOut": "w"])
            #expect(try await fetchAll(c, "w").ints("COL2") == [9])
        }
    }

    @Test(arguments: Transport.allCases)
    func repeatedIdValuesNeedLet(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await start(c)
            try await ok(c, "table.addTable", ["table": "dup", "vars": [["name": "g", "type": "varchar"], ["name": "k", "type": "varchar"], ["name": "v"]],
                                               "rows": [["a", "p", 1], ["a", "p", 2], ["b", "p", 3]]])
            let params: ValueDict = ["table": ["name": "dup", "groupBy": ["g"]], "transpose": ["v"], "id": ["k"], "casOut": ["name": "o", "replace": true]]
            try await fails(c, "transpose.transpose", params, "The ID value \"p\" occurs twice in the same BY group", "g=a", "let=True")
            // with let the last row wins (2) and a warning says which value repeated
            var withLet = params
            withLet["let"] = true
            let r = try await ok(c, "transpose.transpose", withLet)
            #expect(r.warnings.contains { $0.contains("\"p\" occurs twice") })
            #expect(try await fetchAll(c, "o").ints("p") == [2, 3])
        }
    }

    @Test(arguments: Transport.allCases)
    func hostileIdsAndNamesAreClearErrors(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await start(c)
            // a million distinct id values (a DATA step makes them): refused at the bound, nothing allocated for them
            try await ok(c, "table.addTable", ["table": "one", "vars": [["name": "z"]], "rows": [[0]]])
            try await ok(c, "dataStep.runCode", ["code": "data big; set one; do i = 1 to 1000000; v = i * 2; output; end; run;"])
            try await fails(c, "transpose.transpose", ["table": "big", "transpose": ["v"], "id": ["i"], "prefix": "c", "casOut": "huge"],
                            "more than \(Limits.maxTransposedColumns) distinct id values")
            // without id, a group of a million rows would be a million columns: the same bound
            try await fails(c, "transpose.transpose", ["table": "big", "transpose": ["v"], "casOut": "huge"], "rows in one by-group")
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "g", "type": "varchar"], ["name": "k", "type": "varchar"], ["name": "v"]],
                                               "rows": [["a", "x", 1], ["a", "g", 2]]])
            let base: ValueDict = ["table": ["name": "t"], "transpose": ["v"], "id": ["k"], "casOut": ["name": "o", "replace": true]]
            var long = base
            long["prefix"] = .string(String(repeating: "p", count: 300))
            try await fails(c, "transpose.transpose", long, "is not valid: it is longer than 256 bytes", "prefix")
            var control = base
            control["suffix"] = "\u{1}"
            try await fails(c, "transpose.transpose", control, "control character", "suffix")
            // the id value 'g' would name a column like the by-variable g
            var clash = base
            clash["table"] = ["name": "t", "groupBy": ["g"]]
            try await fails(c, "transpose.transpose", clash, "makes the output column 'g'")
            try await fails(c, "transpose.transpose", ["table": "t", "transpose": ["nosuch"], "casOut": "o"], "nosuch", "transpose[1]")
            try await fails(c, "transpose.transpose", ["table": "t", "id": ["k"], "transpose": ["v"], "name": "", "casOut": "o"], "name")
            // the session still answers, and nothing was written
            try await fails(c, "table.columnInfo", ["table": "huge"], "huge")
            try await ok(c, "builtins.ping")
        }
    }
}
