import CASWire
import CheckedSize
import Testing

@testable import CASCore

@Suite("Where language: computed programs are bounded")
struct WhereLimitsTests {
    static let table = DataTable(name: "T", columns: [Column(name: "x", data: .double([1, 2, 3, 4]))])

    @Test("doubling a string 40 times on 4 rows fails fast, naming the limit")
    func doublingString() {
        let program = "s = 'ab';" + String(repeating: " s = s || s;", count: 40)
        let e = #expect(throws: ActionError.self) { try ComputedVars.apply(program, declared: ["s"], to: Self.table, parameter: "table") }
        #expect(e?.message.contains("at most \(Limits.maxComputedString) characters") == true, "\(String(describing: e))")
        #expect(e?.message.contains("statement 15") == true, "\(String(describing: e))")   // 2 · 2^14 = 32768 > 32767
    }

    @Test func stringsUpToTheLimitAreFine() throws {
        let program = "s = 'ab';" + String(repeating: " s = s || s;", count: 13)   // 2^14 = 16384 characters
        let t = try ComputedVars.apply(program, declared: ["s"], to: Self.table, parameter: "table")
        #expect(t.column("s")?.data.value(at: 3).stringValue?.count == 16384)
    }

    @Test func tooManyStatements() {
        let program = String(repeating: "y = x + 1;", count: ComputedVars.maxStatements + 1)
        let e = #expect(throws: ActionError.self) { try ComputedVars.apply(program, declared: [], to: Self.table, parameter: "table") }
        #expect(e?.message.contains("at most \(ComputedVars.maxStatements)") == true)
    }
}
