import CASL
import CASWire
import Testing

@Suite("SourceWriter: stored definitions parse back to the same values")
struct SourceWriterTests {
    @Test(arguments: [
        Value.string("say \"hi\" and 'bye'\n  on two lines /* not a comment */"),
        .int(-9_223_372_036_854_775_807), .double(0.1), .double(-2.5e-7), .double(1e300), .bool(false),
        ["a", 1, ["nested": [true, 2.5]], []],
        ["two words": 1, "name": "x", "_k9": ["deep": ["deeper": "y"]]],
    ])
    func roundTrips(_ v: Value) async throws {
        let text = SourceWriter.literal(v)
        let r = try await run("v = \(text);")
        let back = try #require(r["v"])
        #expect(back == v, "\(text)")
    }

    @Test func aDefinitionFileIsOneDefineActionSetCall() throws {
        let text = SourceWriter.defineActionSet(["name": "s", "actions": [["name": "a", "definition": "print 'x';"]]])
        let program = try Parser.parse(text)
        #expect(program.statements.count == 1)
        guard case .action(let call)? = program.statements.first else { Issue.record("not an action call: \(text)"); return }
        #expect(call.name == "builtins.defineActionSet")
        #expect(call.parameters.map(\.key) == ["name", "actions"])
    }
}
