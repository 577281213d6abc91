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

    @Test func fixedFormatsDecimals() {
        #expect(Fixed.text(1.23456, 2) == "1.23")
        #expect(Fixed.text(-0.5, 3) == "-0.500")
        #expect(Fixed.text(2, 0) == "2")
        #expect(Fixed.text(1e30, 6) == "1e+30", "no trap beyond Int64")
        #expect(Fixed.text(-9.3e18, 2) == "-9.3e+18")
    }
}
