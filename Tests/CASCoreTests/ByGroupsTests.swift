import CASCore
import CASWire
import Testing

/// `ByGroups` against a naive reference: groups in ascending order of the by-values (missing first),
/// every row in exactly one group, missing values (NaN, absent, empty string) a group of their own.
@Suite("ByGroups ordering")
struct ByGroupsTests {
    static let data = DataTable(name: "t", columns: [
        Column(name: "k", data: .double([2, .nan, 1, 2, 1, .nan, 10])),
        Column(name: "s", data: .varchar(["b", "a", nil, "a", "", "a", "b"])),
    ])

    @Test func numericGroupsSortAscendingWithMissingFirst() throws {
        let g = try ByGroups(Self.data, by: ["k"])
        #expect(g.info().column("k_f")?.data == .varchar([".", "1", "2", "10"]))
        #expect(g.rows == [[1, 5], [2, 4], [0, 3], [6]])
        #expect(g.attributes(3)["ByVar1Value"] == .double(10) && g.attributes(0)["ByVar1ValueFormatted"] == .string("."))
    }

    @Test func twoByVariablesGroupLexicographically() throws {
        let g = try ByGroups(Self.data, by: ["s", "K"])  // names match case-insensitively
        // naive reference: sort the distinct (s, k) pairs, missing s ("" or absent) first
        #expect(g.info().column("_key_")?.data == .varchar([",1", "a,.", "a,2", "b,2", "b,10"]))
        #expect(g.rows.flatMap { $0 }.sorted() == Array(0..<7))
        #expect(g.attributes(1)["ByGroup"] == .string("s=a k=."))
    }

    @Test func anUnknownByVariableNamesItsParameter() {
        #expect(throws: ActionError.self) { try ByGroups(Self.data, by: ["nope"]) }
        do { _ = try ByGroups(Self.data, by: ["k", "nope"]); Issue.record("no error") } catch {
            #expect(error.parameter == "table.groupBy[2]")
        }
    }
}
