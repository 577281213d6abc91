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

    /// Past one run of 65 536 rows the sort merges runs: the order equals one standard-library sort of
    /// every row (the naive reference), with ties, missing values and two keys; a throwing checkpoint stops it.
    @Test(arguments: [65_535, 65_536, 65_537, 140_001])
    func mergedRunsEqualOneSortAndACheckpointStopsIt(_ n: Int) throws {
        var state: UInt64 = 12_345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let t = DataTable(name: "t", columns: [
            Column(name: "g", data: .varchar((0..<n).map { _ in next() % 11 == 0 ? nil : "k\(next() % 50)" })),
            Column(name: "x", data: .double((0..<n).map { _ in next() % 13 == 0 ? .nan : Double(next() % 1000) })),
        ])
        for keys in [[SortKey(column: 0, descending: false), SortKey(column: 1, descending: true)], [SortKey(column: 1, descending: false)]] {
            let cols = keys.map { (t.columns[$0.column].data, $0.descending) }
            let naive = Array(0..<n).sorted { a, b in
                for (c, desc) in cols { let r = c.compare(a, b); if r != 0 { return desc ? r > 0 : r < 0 } }
                return a < b
            }
            #expect(t.sortedRows(by: keys) == naive)
        }
        // the checkpoint runs once per run of 65 536 rows (and during merges): a throw at its second call
        // stops a sort of more rows than one run; one run calls it once
        struct Stop: Error {}
        var calls = 0
        let sort = { () throws(Stop) -> [Int] in
            try t.sortedRows(by: [SortKey(column: 1, descending: false)]) { () throws(Stop) in
                calls += 1
                if calls == 2 { throw Stop() }
            }
        }
        if n > 65_536 {
            #expect(throws: Stop.self) { _ = try sort() }
            #expect(calls == 2)
        } else {
            #expect(try sort().count == n)
            #expect(calls == 1)
        }
    }

    /// The k-way merge of sorted blocks (table.fetch sortBy on an MPI server): each block's rows sorted on its own
    /// (the worker's part), then their first `limit` merged, equal the first rows of one sort of the whole table —
    /// ties and missing values included — for blocks of any sizes (empty ones too) and any limit.
    @Test(arguments: [[0, 40, 0, 33, 27], [100], [1, 1, 1, 97], [50, 50]])
    func mergingSortedBlocksEqualsOneSort(_ sizes: [Int]) {
        var state: UInt64 = 777
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let n = sizes.reduce(0, +)
        let t = DataTable(name: "t", columns: [
            Column(name: "g", data: .varchar((0..<n).map { _ in next() % 7 == 0 ? nil : "k\(next() % 5)" })),
            Column(name: "x", data: .double((0..<n).map { _ in next() % 9 == 0 ? .nan : Double(next() % 20) })),
        ])
        for keys in [[SortKey(column: 0, descending: true), SortKey(column: 1, descending: false)], [SortKey(column: 1, descending: true)]] {
            let whole = t.sortedRows(by: keys)
            // each block sorted on its own, laid end to end: what the controller holds; `at` maps back to table rows
            var runs: [Range<Int>] = [], at: [Int] = [], start = 0
            for size in sizes {
                let block = t.gather(Array(start..<(start + size)))
                runs.append(at.count..<(at.count + size))
                at += block.sortedRows(by: keys).map { $0 + start }
                start += size
            }
            let candidates = t.gather(at)
            for limit in [0, 1, 7, n / 2, n, n + 5] {
                #expect(candidates.mergedRuns(runs, by: keys, limit: limit).map { at[$0] } == Array(whole.prefix(limit)), "limit \(limit)")
            }
        }
    }

    @Test func fixedFormatsDecimals() {
        #expect(Fixed.text(1.23456, 2) == "1.23")
        #expect(Fixed.text(-0.5, 3) == "-0.500")
        #expect(Fixed.text(2, 0) == "2")
        #expect(Fixed.text(1e30, 6) == "1e+30", "no trap beyond Int64")
        #expect(Fixed.text(-9.3e18, 2) == "-9.3e+18")
    }
}
