@testable import CASCore
import CASWire
import Foundation
import Testing

@Suite("Table model")
struct TableModelTests {
    @Test func sortsStablyWithMissingFirst() {
        let t = DataTable(name: "t", columns: [
            Column(name: "g", data: .varchar(["b", "a", nil, "a", "b"])),
            Column(name: "x", data: .double([1, 2, 3, .nan, 5])),
        ])
        #expect(t.sortedRows(by: [SortKey(column: 0, descending: false)]) == [2, 1, 3, 0, 4])
        #expect(t.sortedRows(by: [SortKey(column: 0, descending: true), SortKey(column: 1, descending: true)]) == [4, 0, 1, 3, 2])
        #expect(t.sortedRows(by: [SortKey(column: 1, descending: false)]) == [3, 0, 1, 2, 4])
    }

    @Test func caslibPathsCannotEscape() throws {
        let root = "/tmp/caslite-test-\(UInt32.random(in: 0...UInt32.max))"
        let lib = CaslibCatalog(dataRoot: root).builtins(for: "u")[0]
        #expect(try lib.resolve("a/b.csv").hasSuffix("/casuser/u/a/b.csv"))
        for bad in ["../x", "a/../../x", "/etc/passwd"] {
            #expect(throws: ActionError.self, "\(bad)") { try lib.resolve(bad) }
        }
        // A symlink inside the caslib that points outside is refused, also for files that do not exist yet.
        try FileManager.default.createSymbolicLink(atPath: lib.path + "/escape", withDestinationPath: "/tmp")
        #expect(throws: ActionError.self) { try lib.resolve("escape/anything.csv") }
        #expect(throws: ActionError.self) { try lib.resolve("escape/new/deeper/file.csv") }
        try FileManager.default.createSymbolicLink(atPath: lib.path + "/inside", withDestinationPath: lib.path + "/a")
        #expect(try lib.resolve("inside/x.csv").hasSuffix("/casuser/u/a/x.csv"), "a dangling link inside the caslib is followed")
        try FileManager.default.createSymbolicLink(atPath: lib.path + "/dangling", withDestinationPath: "/nonexistent-\(UInt32.random(in: 0...UInt32.max))/dir")
        #expect(throws: ActionError.self) { try lib.resolve("dangling/file.csv") }
    }

    @Test func fixedFormatsDecimals() {
        #expect(fixed(1.23456, 2) == "1.23")
        #expect(fixed(-0.5, 3) == "-0.500")
        #expect(fixed(2, 0) == "2")
    }
}
