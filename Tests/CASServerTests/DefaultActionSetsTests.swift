import CASCore
import CASTestSupport
import CASWire
import Testing

/// Every new session starts with CAS's usual action sets (`DefaultActionSets`), whichever front end
/// made it: a script written against one front end runs unchanged over the other.
@Suite("DefaultActionSets")
struct DefaultActionSetsTests {
    /// A CASL script that calls simple, percentile and aggregation actions without loading them.
    static let script = """
        simple.numRows result=n / table='t';
        percentile.percentile result=p / table='t', inputs={'x'}, values={50};
        aggregation.aggregate result=a / table='t', varSpecs={{names={'x'}, agg='SUM'}};
        simple.summary result=s / table='t';
        send_response({rows=n.numrows, median=p.Percentile[1].Value, sum=a.Aggregate[1].Sum});
        """

    @Test(arguments: Transport.allCases)
    func theSameScriptRunsOverBothFrontEnds(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await ok(c, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1], [2], [3], [10]]])
            // the same calls directly, with no loadActionSet first
            #expect(try await ok(c, "simple.numRows", ["table": "t"]).results["numrows"] == 4)
            try await ok(c, "percentile.percentile", ["table": "t", "values": [50]])
            try await ok(c, "aggregation.aggregate", ["table": "t", "varSpecs": [["names": ["x"], "agg": "SUM"]]])
            // and inside a script (sccasl itself is not a default set, as in CAS)
            try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            let r = try await ok(c, "sccasl.runCasl", ["code": .string(Self.script)])
            #expect(r.results["rows"] == 4)
            #expect(r.results["median"]?.doubleValue == 2.5)
            #expect(r.results["sum"]?.doubleValue == 16)
        }
    }

    @Test(arguments: Transport.allCases)
    func listActionSetsShowsTheDefaultsAsLoaded(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            let t = try #require(try await ok(c, "builtins.listActionSets").results["setinfo"]?.tableValue)
            let loaded = Dictionary(uniqueKeysWithValues: zip(t.column("actionset")!.data.strings, t.column("loaded")!.data.strings))
            for name in ["builtins", "session", "sessionProp", "table", "simple", "percentile", "aggregation", "accessControl", "datapreprocess", "dataStep"] {
                #expect(loaded[name] == "TRUE", "\(name) is loaded in a new session")
            }
            #expect(loaded["sccasl"] == "FALSE" && loaded["deduplication"] == "FALSE", "other sets are loaded on request")
        }
    }
}
