import CASCore
import CASTestSupport
import CASWire
import Foundation
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

    /// A script's output and the NOTEs of the actions it calls reach the client on both front ends
    /// (REST answers with one envelope, which held only runCasl's own lines).
    @Test(arguments: Transport.allCases)
    func notesOfTheActionsAScriptCallsReachTheClient(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try s.write("a,b\n1,2\n", to: "t.csv")
            try await ok(c, "builtins.loadActionSet", ["actionSet": "sccasl"])
            let r = try await ok(c, "sccasl.runCasl", ["code": "print 'hi'; table.loadTable result=x / path='t.csv', casOut={name='t'}; print 'bye';"])
            #expect(r.notes.filter { !$0.contains("made the file") } == ["hi", "bye"], "\(r.notes)")
            #expect(r.notes.count == 3 && r.notes[1].contains("made the file t.csv available as table t"), "\(r.notes)")
        }
    }

    /// The docs that list the default sets (protocol and Python guides) list exactly `DefaultActionSets.names`.
    @Test(arguments: ["docs/protocol.md", "docs/python.md"])
    func theDocsListTheDefaultSets(_ file: String) throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let doc = try String(contentsOfFile: repo + "/" + file, encoding: .utf8)
        let start = try #require(doc.range(of: "CAS's usual"), "\(file) lists the default sets")
        let end = try #require(doc.range(of: "DefaultActionSets.swift", range: start.upperBound..<doc.endIndex))
        let quoted = doc[start.upperBound..<end.lowerBound].split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        #expect(quoted.filter { $0.allSatisfy(\.isLetter) } == DefaultActionSets.names, "\(file): \(quoted)")
    }
}
