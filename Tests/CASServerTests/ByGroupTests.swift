import CASCore
import CASTestSupport
import CASWire
import Testing

/// `table.groupBy`: the analytic actions run once per by-group and answer in CAS's by-group layout
/// (`ByGroupInfo`, then `ByGroup<n>.<table>` with the group in the table's attributes), over both front ends.
@Suite("ByGroups")
struct ByGroupTests {
    /// zone (with a missing zone), temperature (with a missing value).
    static let rows: [[Value]] = [
        [.string("north"), .double(3)], [.string("south"), .double(20)], [.string("north"), .double(5)],
        [.null, .double(7)], [.string("south"), .null], [.string("east"), .double(11)], [.string("south"), .double(26)],
    ]

    static func load(_ c: any TestClient) async throws {
        try await ok(c, "table.addTable", ["table": "w", "vars": [["name": "zone", "type": "varchar"], ["name": "temperature"]],
                                           "rows": .list(rows.map { .list($0) })])
    }

    /// The naive reference: the temperatures of one zone (nil: the missing zone).
    static func temperatures(_ zone: String?) -> [Double] {
        rows.filter { ($0[0].stringValue) == zone }.compactMap { $0[1].doubleValue }
    }

    static func table(_ r: Response, _ key: String) throws -> DataTable { try #require(r.results[key]?.tableValue, "\(key)") }

    @Test(arguments: Transport.allCases)
    func groupedSummaryMatchesAPerGroupComputation(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await Self.load(c)
            let r = try await ok(c, "simple.summary", ["table": ["name": "w", "groupBy": ["zone"]]])
            // groups in ascending order, the missing zone first and a group of its own
            #expect(r.results.keys == ["ByGroupInfo", "ByGroup1.Summary", "ByGroup2.Summary", "ByGroup3.Summary", "ByGroup4.Summary"])
            let info = try Self.table(r, "ByGroupInfo")
            #expect(info.columns.map(\.name) == ["zone", "zone_f", "_key_"])
            #expect(info.column("zone_f")?.data == .varchar(["", "east", "north", "south"]))
            for (g, zone) in [nil, "east", "north", "south"].enumerated() {
                let t = try Self.table(r, "ByGroup\(g + 1).Summary")
                #expect(t.attributes["ByVar1"] == .string("zone"))
                #expect(t.attributes["ByVar1Value"] == .string(zone ?? ""))
                #expect(t.attributes["ByVar1ValueFormatted"] == .string(zone ?? ""))
                #expect(t.column("Column")?.data == .varchar(["temperature"]))   // the by-variable is not summarised
                let xs = Self.temperatures(zone)
                #expect(t.row(0)[t.columnIndex("N")!].doubleValue == Double(xs.count))
                #expect(t.row(0)[t.columnIndex("Sum")!].doubleValue == xs.reduce(0, +))
                #expect(t.row(0)[t.columnIndex("Max")!].doubleValue == xs.max())
            }
            let south = try Self.table(r, "ByGroup4.Summary")
            #expect(south.row(0)[south.columnIndex("NMiss")!].doubleValue == 1)
        }
    }

    @Test(arguments: Transport.allCases)
    func otherActionsHonourGroupByAndVarsKeepsTheByVariable(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await Self.load(c)
            let by: Value = ["name": "w", "groupBy": ["zone"], "where": "temperature > 4", "vars": ["temperature"]]
            let a = try await ok(c, "aggregation.aggregate", ["table": by, "varSpecs": [["names": ["temperature"], "agg": "N"]]])
            // north keeps 5 only; the where filter applies before grouping
            let north = try Self.table(a, "ByGroup3.Aggregate")
            #expect(north.attributes["ByVar1Value"] == .string("north") && north.row(0)[1].doubleValue == 1)
            for action in ["simple.freq", "simple.topk", "simple.distinct", "percentile.percentile"] {
                let r = try await ok(c, action, ["table": by])
                #expect(r.results.keys.first == "ByGroupInfo", "\(action)")
                #expect(r.results.keys.count > 4, "\(action)")
            }
            let x = try await ok(c, "simple.crossTab", ["table": ["name": "w", "groupBy": ["zone"]], "row": "zone", "col": "temperature"])
            #expect(try Self.table(x, "ByGroup2.Crosstab").attributes["ByGroup"] == .string("zone=east"))
            // numRows: a NumRows table per group (after the where filter) and the total
            let n = try await ok(c, "simple.numRows", ["table": ["name": "w", "groupBy": ["zone"], "where": "temperature > 4"]])
            let counts = try (1...4).map { g in try Self.table(n, "ByGroup\(g).NumRows").row(0)[0].intValue }
            #expect(counts == [nil, "east", "north", "south"].map { z in Int64(Self.temperatures(z).filter { $0 > 4 }.count) })
            #expect(n.results["numrows"]?.intValue == Int64(Self.rows.filter { ($0[1].doubleValue ?? 0) > 4 }.count))
            let bad = try await c.call("simple.summary", ["table": ["name": "w", "groupBy": ["nope"]]])
            #expect(bad.disposition.severity == .error)
        }
    }

    @Test(arguments: Transport.allCases)
    func groupByInfoWritesOneRowPerGroup(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try await Self.load(c)
            let r = try await ok(c, "simple.groupByInfo", ["table": ["name": "w", "groupBy": ["zone"]]])
            let out = try Self.table(r, "OutputCasTables")
            #expect(out.column("Name")?.data == .varchar(["_GROUPBYINFO_1"]) && out.row(0)[2].doubleValue == 4)
            let f = try await ok(c, "table.fetch", ["table": "_GROUPBYINFO_1"])
            let t = try Self.table(f, "Fetch")
            #expect(t.column("_Frequency_")?.data == .double([1, 1, 2, 3]))
            let again = try await ok(c, "simple.groupByInfo", ["table": ["name": "w", "groupBy": ["zone"]], "noVars": true])
            #expect(try Self.table(again, "OutputCasTables").column("Columns")?.data == .double([1]))
            try await ok(c, "builtins.loadActionSet", ["actionSet": "datapreprocess"])
            let hc = try await ok(c, "datapreprocess.highCardinality", ["table": ["name": "w", "groupBy": ["zone"]]])
            #expect(try Self.table(hc, "ByGroup4.HighCardinalityDetails").row(0)[1].doubleValue == 2)   // south: 20, 26
            let combos = try await ok(c, "simple.groupBy", ["table": "w", "inputs": ["zone"], "includeMissing": false])
            let list = try Self.table(combos, "Groupby")
            #expect(list.column("zone")?.data == .varchar(["east", "north", "south"]) && list.column("_Frequency_")?.data == .double([1, 2, 3]))
            let none = try await c.call("simple.groupByInfo", ["table": "w"])
            #expect(none.disposition.severity == .error)
        }
    }

    /// groupByMode takes CAS's names (NOSORT, its default, and REDISTRIBUTE; NOBYGROUPS too), all grouping
    /// alike on one server; more by-groups than an action may answer with are refused before any work.
    @Test func groupByModesAndTheByGroupLimit() async throws {
        try await TestServer.start().run { s in
            let c = try await s.client(.jsonLines)
            try await Self.load(c)
            var answers: [[String]] = []
            for mode in ["NOSORT", "REDISTRIBUTE", "NOBYGROUPS", "nosort"] {
                let r = try await ok(c, "simple.summary", ["table": ["name": "w", "groupBy": ["zone"], "groupByMode": .string(mode)]])
                answers.append(r.results.keys)
            }
            #expect(Set(answers.map { $0.joined(separator: ",") }).count == 1 && answers[0].count == 5)
            try await fails(c, "simple.summary", ["table": ["name": "w", "groupBy": ["zone"], "groupByMode": "SORTED"]], "groupByMode", "NOSORT")
            // one group per row: Limits.maxByGroups + 1 groups
            let n = 25_001
            try await ok(c, "table.addTable", ["table": "many", "vars": [["name": "k"], ["name": "x"]],
                                               "rows": .list((0..<n).map { [.double(Double($0)), .double(1)] })])
            try await fails(c, "simple.summary", ["table": ["name": "many", "groupBy": ["k"]]], "25001 by-groups", "at most 25000", "table.groupBy")
            try await fails(c, "simple.numRows", ["table": ["name": "many", "groupBy": ["k"]]], "25001 by-groups")
            // one group fewer is answered
            let r = try await ok(c, "simple.numRows", ["table": ["name": "many", "where": "k > 0", "groupBy": ["k"]]])
            #expect(r.results.keys.filter { $0.hasPrefix("ByGroup") && $0 != "ByGroupInfo" }.count == 25_000)
        }
    }
}
