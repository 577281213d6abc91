import CASCore
import Testing

@Suite("One validator for names")
struct NamesTests {
    @Test(arguments: ["", " ", ".", "..", "...", ".hidden", "-x", "a/b", "a\\b", "a\u{0}b", "a\nb", "é", String(repeating: "u", count: 65)])
    func badUsers(_ name: String) {
        #expect(Names.problem(name, .user) != nil, "\(name.debugDescription) accepted")
    }

    @Test(arguments: ["alice", "bob.smith", "svc_1", "a-b", "A1"])
    func goodUsers(_ name: String) {
        #expect(Names.problem(name, .user) == nil)
    }

    @Test func nameLiteralsAreUnwrappedOnlyWhenWhole() {
        #expect(Names.unliteral("\"my var\"n") == "my var" && Names.unliteral("'my var'N") == "my var")
        #expect(Names.unliteral("'it''s'n") == "it's")
        for kept in ["plain", "\"no n\"", "\"a\"b\"n", "\"\"n", "n", "'x'nn", "'a' 'b'n"] { #expect(Names.unliteral(kept) == kept, "\(kept)") }
    }

    @Test func tablesAndColumns() {
        for bad in ["", "   ", "a/b", "..\\x", "t\u{0}", "t\u{7}", String(repeating: "t", count: 257)] {
            #expect(Names.problem(bad, .table) != nil, "\(bad.debugDescription) accepted as a table")
        }
        for good in ["gh", "DATA.IRIS", "Fetch", "my table", "_T_"] { #expect(Names.problem(good, .table) == nil) }
        #expect(Names.problem("km/h", .column) == nil)
        #expect(Names.problem("a\u{0}", .column) != nil)
        #expect(Names.problem("CASUSER(alice)", .caslibReference) == nil)
        #expect(Names.problem("CASUSER(alice)", .caslib) != nil)
        #expect(Names.problem("my_set", .actionSet) == nil)
        #expect(Names.problem("../set", .actionSet) != nil)
    }

    @Test func messagesQuoteAtMost200Characters() throws {
        let huge = String(repeating: "x", count: 100_000)
        let e = try #require(throws: ActionError.self) { try Names.check(huge, .user, parameter: "user") }
        #expect(e.message.count < 400)
        #expect(e.message.contains("(100000 characters)"))
        #expect(e.parameter == "user")
        #expect(Names.quote("a\u{0}b") == "'a\\u{0}b'")
    }
}
