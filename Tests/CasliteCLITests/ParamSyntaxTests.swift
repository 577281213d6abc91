import CASWire
import Testing

@testable import caslite

@Suite("CLI parameter syntax")
struct ParamSyntaxTests {
    @Test func nestedKeysJSONValuesAndStrings() throws {
        let p = try ParamSyntax.parse(["casOut.name=x", "casOut.replace=true", "to=5", "vars=[\"a\",\"b\"]", "where=x > 1", "ratio=0.5",
                                       "table={\"name\":\"t\",\"where\":\"g = 'a'\"}"])
        #expect(p["casOut"] == ["name": "x", "replace": true])
        #expect(p["to"] == .int(5))
        #expect(p["ratio"] == .double(0.5))
        #expect(p["vars"] == ["a", "b"])
        #expect(p["where"] == "x > 1")
        #expect(p["table"]?["where"] == "g = 'a'")
    }

    @Test func badWordsAreExplained() {
        #expect(throws: ParamSyntax.Failure.self) { try ParamSyntax.parse(["novalue"]) }
        #expect(throws: ParamSyntax.Failure.self) { try ParamSyntax.parse(["a=1", "a.b=2"]) }
    }

    @Test(arguments: [
        ("table.fetch to=5", ["table.fetch", "to=5"]),
        ("a name='two words' x=\"q\"", ["a", "name=two words", "x=q"]),
        ("f table={\"name\": \"t\", \"where\": \"s = 'a b'\"} to=3", ["f", "table={\"name\": \"t\", \"where\": \"s = 'a b'\"}", "to=3"]),
        ("f l=[1, 2, 3]", ["f", "l=[1, 2, 3]"]),
    ])
    func shellWordsKeepJSONTogether(_ line: String, _ expected: [String]) {
        #expect(ParamSyntax.words(line) == expected)
    }

    @Test func tablesPrintAlignedLikeSWAT() {
        let t = DataTable(name: "T", columns: [Column(name: "n", data: .int64([1, 22])), Column(name: "s", data: .varchar(["a", nil])),
                                               Column(name: "d", data: .double([1.5, .nan]))])
        let lines = Printer.render(t).split(separator: "\n").map(String.init)
        #expect(lines == ["    n  s    d", "0   1  a  1.5", "1  22  .    ."])
    }
}
