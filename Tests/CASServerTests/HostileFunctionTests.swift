import CASCore
import CASTestSupport
import CASWire
import Testing

/// Numbers that used to trap the server (a Double too large for an Int), searches that were quadratic,
/// and DATA step outputs that would hold two columns of one name (hostile review of issue 18): each
/// now gives a value or a named error, and the server keeps answering.
@Suite("Hostile functions, bins and DATA steps")
struct HostileFunctionTests {
    @Test(arguments: Transport.allCases)
    func hugeArgumentsGiveValuesNotTraps(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "dataStep"])
            let long = String(repeating: "a", count: 32_000)
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "id"], ["name": "s", "type": "varchar"]],
                                               "rows": [[1, "banana"], [2, .string(long)], [3, ""]]])
            let code = """
                data o; set t;
                f1 = find(s, 'a', '', 1e19); f2 = find(s, 'an', '', 2); f3 = find(s, 'a', 'i', -1e300);
                r1 = repeat('', 1e19); r2 = repeat('', 1e18); r3 = repeat('ab', 2);
                d1 = mdy(1, 1e19, 2000); d2 = mdy(2, 30, 2000);
                c1 = count(s, substr(s, 1, 16000) || 'b'); c2 = count(s, 'an');
                run;
                """
            try await ok(c, "dataStep.runCode", ["code": .string(code)])
            let o = try await fetchAll(c, "o")
            func nums(_ n: String) -> [Double?] { (0..<o.rowCount).map { o.column(n)!.data.double(at: $0) } }
            #expect(nums("f1") == [0, 0, 0])
            #expect(nums("f2") == [2, 0, 0])        // SAS: the position of the first match at or after the start
            #expect(nums("f3") == [0, 0, 0])
            #expect(o.strings("r1") == ["", "", ""] || o.strings("r1") == [nil, nil, nil])
            #expect(o.strings("r3").first == "ababab")
            #expect(nums("d1").allSatisfy { $0 == nil } && nums("d2").allSatisfy { $0 == nil })
            #expect(nums("c1") == [0, 0, 0])
            #expect(nums("c2") == [2, 0, 0])
            let w = try await ok(c, "table.fetch", ["table": ["name": "t", "where": "find(s, 'a', '', 1e19) > 0 or mdy(1, 1e19, 2000) > 0"]])
            #expect(w.results["Fetch"]?.tableValue?.rowCount == 0)
            // contains and index with a long needle that almost matches everywhere: linear, not quadratic
            let needle = String(repeating: "a", count: 16_000) + "b"
            let w2 = try await ok(c, "table.fetch", ["table": ["name": "t", "where": .string("s contains '\(needle)' or index(s, '\(needle)') > 0 or s contains 'nan'")]])
            #expect(w2.results["Fetch"]?.tableValue?.rowCount == 1)    // banana
            try await ok(c, "builtins.ping")
        }
    }

    @Test(arguments: Transport.allCases)
    func binsOverTheWholeDoubleRangeAreNamedErrors(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "datapreprocess"])
            try await ok(c, "table.addTable", ["table": "h", "vars": [["name": "x"]], "rows": [[1e300], [1e300]]])
            try await ok(c, "table.addTable", ["table": "h2", "vars": [["name": "x"]], "rows": [[-1.7e308], [1.7e308]]])
            try await fails(c, "datapreprocess.histogram", ["table": "h", "binWidth": 5e-324], "binWidth")
            try await fails(c, "datapreprocess.histogram", ["table": "h2", "nBins": 2], "span more than a double")
            _ = try await c.call("datapreprocess.binning", ["table": "h2", "casOut": ["name": "o"]])   // a value or an error, never a trap
            try await ok(c, "builtins.ping")
        }
    }

    /// Second hostile review: a column named twice.
    @Test(arguments: Transport.allCases)
    func namesGivenTwiceAndHugeModelsAreRefused(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"], ["name": "g", "type": "varchar"]], "rows": [[1, "a"], [2, "b"]]])
            try await fails(c, "table.fetch", ["table": "t", "fetchVars": ["x", "X", "g"]], "named twice", "fetchVars[2]")
            try await fails(c, "simple.numRows", ["table": ["name": "t", "groupBy": ["g", "G"]]], "named twice", "groupBy[2]")
            try await ok(c, "builtins.ping")
        }
    }

    /// Computed columns are charged to the session's memory as they are made: a program that would make
    /// 600 MB of strings (it grew the server to the machine's 23 GB before) stops at the budget.
    @Test(arguments: Transport.allCases)
    func computedColumnsAreChargedAsTheyAreMade(_ transport: Transport) async throws {
        try await TestServer.start(http: true, maxMemory: 256 << 20, maxSessionMemory: 32 << 20).run { s in
            let c = try await s.client(transport)
            let rows: Value = .list((0..<2_000).map { _ in [.string(String(repeating: "x", count: 100))] })
            try await ok(c, "table.addTable", ["table": "big", "vars": [["name": "s", "type": "varchar"]], "rows": rows])
            let names = (0..<100).map { "c\($0)" }
            let program = names.map { "\($0) = repeat(s, 29);" }.joined(separator: " ")   // 3 000 bytes × 2 000 rows × 100 columns
            try await fails(c, "table.fetch", ["table": ["name": "big", "computedVars": .list(names.map { .string($0) }),
                                                         "computedVarsProgram": .string(program)], "to": 1],
                            "--max-session-memory", "computed columns")
            // a program that fits still runs, and the session goes on
            let f = try await ok(c, "table.fetch", ["table": ["name": "big", "computedVars": ["c0"], "computedVarsProgram": "c0 = repeat(s, 2);"], "to": 1])
            #expect(f.results["Fetch"]?.tableValue?.column("c0")?.data.value(at: 0).stringValue?.count == 300)
        }
    }

    @Test(arguments: Transport.allCases)
    func dataStepOutputsNeverHoldTwoColumnsOfOneName(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "dataStep"])
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "id"], ["name": "s", "type": "varchar"]], "rows": [[1, "x"], [2, "y"]]])
            try await fails(c, "dataStep.runCode", ["code": "data o; set t; rename id=s; run;"], "two columns named", "s")
            try await fails(c, "dataStep.runCode", ["code": "data o; merge t(in=id) t(in=s); by id; run;"], "in= variable", "id")
            try await fails(c, "table.columnInfo", ["table": "o"], "o")   // nothing was written
            try await ok(c, "builtins.ping")
        }
    }
}
