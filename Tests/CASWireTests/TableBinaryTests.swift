import CASWire
import SeededRandom
import Testing

/// `DataTable.binaryEncoded` / `init(binary:)`: how the MPI controller and its workers move rows. Exact round trips
/// (double bits, missing cells, metadata) and no crash on any cut or altered buffer.
@Suite("Table bytes")
struct TableBinaryTests {
    static func sample(rows n: Int, seed: UInt64 = 7) -> DataTable {
        var rng = SplitMix64(seed: seed)
        var doubles = (0..<n).map { _ in Double(bitPattern: rng.next()) }   // any bits: NaN payloads, subnormals, infinities
        if n > 2 { doubles[0] = -0.0; doubles[1] = .nan; doubles[2] = -.infinity }
        return DataTable(name: "Mixed", label: "a label", title: "t", attributes: ["Source": .string("x"), "n": .int(3)], columns: [
            Column(name: "d", label: "double", format: "BEST12.", data: .double(doubles)),
            Column(name: "i", data: .int64((0..<n).map { $0 % 5 == 0 ? nil : Int64(bitPattern: rng.next()) })),
            Column(name: "j", data: .int32((0..<n).map { $0 % 3 == 0 ? nil : Int32(truncatingIfNeeded: Int64(bitPattern: rng.next())) })),
            Column(name: "s", attributes: ["MIMEType": .string("text/plain")],
                   data: .varchar((0..<n).map { $0 % 4 == 0 ? nil : ($0 % 4 == 1 ? "" : "ä\($0)€ \u{1F600}") })),
            Column(name: "b", data: .varbinary((0..<n).map { $0 % 6 == 0 ? nil : (0..<($0 % 9)).map { UInt8($0 * 31 & 255) } })),
        ])
    }

    /// Equality that tells NaN payloads and -0 apart (DataTable's == compares doubles as numbers).
    static func sameBits(_ a: DataTable, _ b: DataTable) -> Bool {
        guard a.columns.count == b.columns.count else { return false }
        for (x, y) in zip(a.columns, b.columns) {
            if case .double(let u) = x.data, case .double(let v) = y.data {
                guard u.map(\.bitPattern) == v.map(\.bitPattern) else { return false }
            }
        }
        var a2 = a, b2 = b
        for i in a2.columns.indices where a2.columns[i].type == .double { a2.columns[i].data = .double([]); b2.columns[i].data = .double([]) }
        return a2 == b2
    }

    @Test(arguments: [0, 1, 2, 3, 1000])
    func roundTripsExactly(rows: Int) throws {
        let t = Self.sample(rows: rows)
        let back = try DataTable(binary: t.binaryEncoded())
        #expect(Self.sameBits(t, back))
        #expect(back.rowCount == rows)
        #expect(back.columns[3].attributes["MIMEType"] == .string("text/plain"))
        #expect(back.columns[0].format == "BEST12." && back.label == "a label")
    }

    @Test func aTableWithNoColumnsRoundTrips() throws {
        let t = DataTable(name: "empty")
        #expect(try DataTable(binary: t.binaryEncoded()) == t)
    }

    /// Every prefix of a valid buffer is refused with an error (lengths are checked against the bytes left).
    @Test func everyCutBufferIsAnError() {
        let bytes = Self.sample(rows: 20).binaryEncoded()
        for n in 0..<bytes.count {
            #expect(throws: DataTable.BinaryError.self) { try DataTable(binary: Array(bytes[..<n])) }
        }
        #expect(throws: DataTable.BinaryError.self) { try DataTable(binary: bytes + [0]) }   // trailing bytes
    }

    /// Altered bytes (huge lengths, flipped bits) decode to some table or fail; they never crash or over-allocate.
    @Test func alteredBuffersFailCleanly() {
        let bytes = Self.sample(rows: 40).binaryEncoded()
        var rng = SplitMix64(seed: 99)
        for _ in 0..<3000 {
            var b = bytes
            let at = Int(rng.next() % UInt64(b.count))
            switch rng.next() % 3 {
            case 0: b[at] ^= UInt8(1 << (rng.next() % 8))
            case 1: for k in at..<min(b.count, at + 8) { b[k] = 0xFF }     // a length near 2^64
            default: b[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = try? DataTable(binary: b)
        }
        // a row count far beyond the buffer is named as such
        var big = bytes
        let metaLength = Int(big[4]) | Int(big[5]) << 8 | Int(big[6]) << 16
        for k in 0..<8 { big[12 + metaLength + k] = 0x7F }
        #expect(throws: DataTable.BinaryError.self) { try DataTable(binary: big) }
    }
}
