@testable import CASWire
import Foundation
import SeededRandom
import Testing

/// The fast table writer (`rows`: column blocks, runtime double formatter) against its plain
/// references: `rowsByCell` (one switch per cell) and `Double.description`.
@Suite("JSON table writer")
struct JSONTableWriterTests {
    /// Random bit patterns (every exponent), whole numbers, tiny and huge values, signed zeros.
    @Test func doublesHaveTheDigitsOfDescription() {
        var rng = SplitMix64(seed: 15)
        var specials: [Double] = [0, -0.0, 1, -1, 0.1, 1e15, 1e15 - 1, -1e15, 1e16, 1e-7, 5e-324, .greatestFiniteMagnitude,
                                  -.greatestFiniteMagnitude, .leastNormalMagnitude, 2.5e300, 123456789.125, 0.30000000000000004]
        for _ in 0..<1_000_000 { specials.append(Double(bitPattern: rng.next())) }
        for _ in 0..<100_000 { specials.append(Double(Int64(bitPattern: rng.next()) >> Int(rng.next() % 60))) }
        // decimals of 1 to 4 places at every magnitude up to 2^53 (the fast path takes 1 to 3 places below 10^12)
        for _ in 0..<300_000 {
            let places = Double(rng.next() % 5), whole = Double(Int64(bitPattern: rng.next()) >> Int(3 + rng.next() % 61))
            specials.append(whole / pow(10, places))
        }
        // around the fast path's edges: 0.001, 10^12, ten-multiples of t, and neighbours of each
        for edge in [0.001, 0.0011, 0.0015, 0.01, 0.1, 0.5, 1e12, 1e12 - 0.5, 1e12 - 0.125, 999_999_999_999.9, 1e11 + 0.25, 4503599627370495.5] {
            var x = edge
            for _ in 0..<50 { specials.append(x); specials.append(-x); x = x.nextUp }
            x = edge
            for _ in 0..<50 { x = x.nextDown; specials.append(x) }
        }
        specials += [0.3, 0.7, 1.1, 2.675, 1.005, 0.015, 0.045, 1234.5678, 0.1 + 0.2, 100.0 / 3]
        var mismatches: [String] = []
        for d in specials where d.isFinite {
            var w = JSONWriter()
            w.double(d)
            let got = String(decoding: w.bytes, as: UTF8.self)
            if got != d.description { mismatches.append("\(d.bitPattern): \(got) vs \(d.description)") }
        }
        let mismatchCount = mismatches.count  // the list itself would flood the log
        #expect(mismatchCount == 0, "\(mismatches.prefix(5))")
        var w = JSONWriter()
        w.double(.nan); w.double(.infinity); w.double(-.infinity)
        #expect(String(decoding: w.bytes, as: UTF8.self) == "nullnullnull")
    }

    static func table(rows n: Int, seed: UInt64) -> [ColumnData] {
        var rng = SplitMix64(seed: seed)
        func missing() -> Bool { rng.next() % 7 == 0 }
        var d: [Double] = [], i64: [Int64?] = [], i32: [Int32?] = [], s: [String?] = [], b: [[UInt8]?] = []
        for r in 0..<n {
            d.append(missing() ? .nan : Double(bitPattern: rng.next() >> 2) * (r % 2 == 0 ? 1 : -1))
            i64.append(missing() ? nil : Int64(bitPattern: rng.next()))
            i32.append(missing() ? nil : Int32(truncatingIfNeeded: rng.next()))
            let len = Int(rng.next() % 12)
            s.append(missing() ? nil : String(decoding: (0..<len).map { _ in UInt8(rng.next() % 0x7F) }, as: UTF8.self) + "é")
            b.append(missing() ? nil : (0..<Int(rng.next() % 5)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        }
        return [.double(d), .int64(i64), .int32(i32), .varchar(s), .varbinary(b)]
    }

    /// Block edges (4096 rows a block), one row, no rows, one column; both missing-value styles.
    @Test(arguments: [0, 1, 2, 10, 4095, 4096, 4097, 10_000])
    func blockWriterWritesTheBytesOfTheCellWriter(_ n: Int) throws {
        let columns = Self.table(rows: n, seed: UInt64(n))
        for style in [JSONWriter.MissingStyle.null, .swat] {
            for cols in [columns, [columns[3]], [columns[0], columns[0]]] {
                var fast = JSONWriter(missingStyle: style), plain = JSONWriter(missingStyle: style)
                fast.rows(cols, count: n)
                plain.rowsByCell(cols, count: n)
                #expect(fast.bytes == plain.bytes, "\(n) rows, \(cols.count) columns, \(style)")
            }
        }
        // a wide table: blocks of fewer rows (at most 2^18 cells a block)
        if n == 10 {
            let wide = (0..<70_000).map { columns[$0 % 5] }
            var fast = JSONWriter(), plain = JSONWriter()
            fast.rows(wide, count: n)
            plain.rowsByCell(wide, count: n)
            #expect(fast.bytes == plain.bytes, "70 000 columns")
        }
        // and the whole table parses back to n rows of 5 cells
        var w = JSONWriter()
        w.table(DataTable(name: "t", columns: columns.enumerated().map { Column(name: "c\($0.offset)", data: $0.element) }))
        let parsed = try #require(try JSONParser.parse(w.bytes).tableValue)
        #expect(parsed.rowCount == n && parsed.columns.count == 5)
        for (c, original) in columns.enumerated() {
            #expect((0..<n).map { parsed.columns[c].data.value(at: $0) } == (0..<n).map { original.value(at: $0) }, "column \(c)")
        }
    }
}
