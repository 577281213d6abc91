import CASClient
import CASTestSupport
import CASWire
import Testing

@Suite("sampling", .serialized)
struct SamplingTests {
    @Test func srsPartitionIndicatorIsReproducibleAndSplitsByPercent() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 20)
            let p: ValueDict = ["table": "squares", "samppct": 25, "samppct2": 50, "partInd": true, "seed": 42,
                                "output": ["casOut": "parts", "copyVars": "ALL"]]
            let r = try await ok(c, "sampling.srs", p)
            #expect(try r.table("SRSFreq").doubles("NSamp") == [10])
            let first = try await fetch(c, "parts", vars: ["_id_", "_PartInd_"])
            let codes = first.doubles("_PartInd_")
            #expect(codes.filter { $0 == 1 }.count == 10 && codes.filter { $0 == 2 }.count == 20 && codes.filter { $0 == 0 }.count == 10)
            #expect(first.doubles("_id_") == (1...40).map(Double.init), "input order kept")
            var again = p
            again["output"] = ["casOut": ["name": "parts", "replace": true], "copyVars": "ALL"]
            try await ok(c, "sampling.srs", again)
            #expect(try await fetch(c, "parts", vars: ["_PartInd_"]).doubles("_PartInd_") == codes)
            again["seed"] = 43
            try await ok(c, "sampling.srs", again)
            #expect(try await fetch(c, "parts", vars: ["_PartInd_"]).doubles("_PartInd_") != codes)
            try await ok(c, "table.partition", ["table": ["name": "parts", "where": "_PartInd_=2"], "casOut": "train"])
            #expect(try await ok(c, "simple.numRows", ["table": "train"]).results["numrows"] == 20)
        }
    }

    @Test func srsWithoutPartIndKeepsOnlyTheSampleAndCopyVars() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 10)
            try await ok(c, "sampling.srs", ["table": "squares", "samppct": 30, "seed": 1, "output": ["casOut": "sample", "copyVars": ["_id_"]]])
            let t = try await fetch(c, "sample")
            #expect(t.rowCount == 6)
            #expect(t.columns.map(\.name) == ["_id_"])
        }
    }

    @Test func stratifiedTakesTheShareOfEveryGroup() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 10)
            // DLPy's shape: groupby as a bare string, casOut as a string, partIndName.
            let r = try await ok(c, "sampling.stratified", ["table": ["name": "squares", "groupby": "_label_"], "samppct": 20, "samppct2": 80,
                                                            "partind": true, "seed": 123,
                                                            "output": ["casout": "strat", "copyvars": "all", "partindname": "PartInd__1"]])
            let freq = try r.table("STRAFreq")
            #expect(freq.strings("Stratum") == ["A", "B"])
            #expect(freq.doubles("NSamp") == [2, 2] && freq.doubles("NSamp2") == [8, 8])
            let t = try await fetch(c, "strat", vars: ["_label_", "PartInd__1"])
            for level in ["A", "B"] {
                let codes = zip(t.strings("_label_"), t.doubles("PartInd__1")).filter { $0.0 == level }.map(\.1)
                #expect(codes.filter { $0 == 1 }.count == 2)
            }
            try await fails(c, "sampling.stratified", ["table": "squares", "samppct": 20], "groupBy")
            try await fails(c, "sampling.srs", ["table": "squares", "samppct": 60, "samppct2": 50], "must not exceed 100")
        }
    }
}
