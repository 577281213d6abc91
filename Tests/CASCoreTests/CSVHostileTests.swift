import CASWire
import CheckedSize
import Mutation
import Testing

@testable import CASCore

/// Crafted CSV: clear errors, no traps, no allocation beyond a bound of the input's size.
@Suite("CSV: crafted input")
struct CSVHostileTests {
    static func read(_ bytes: [UInt8], _ options: CSVOptions = CSVOptions()) throws -> DataTable {
        try CSVReader.read(bytes, name: "T", options: options)
    }

    @Test("more than Limits.maxColumns columns is an error naming the limit")
    func millionsOfColumns() {
        let header = [UInt8](repeating: UInt8(ascii: ","), count: Limits.maxColumns + 1)
        let e = #expect(throws: CSVError.self) { try Self.read(header) }
        #expect(e?.message.contains("\(Limits.maxColumns) columns") == true, "\(String(describing: e))")
        let row = Array("a\n".utf8) + header
        #expect(throws: CSVError.self) { try Self.read(row, CSVOptions(getNames: true)) }
    }

    @Test func hugeAndUnbalancedQuotes() throws {
        let open = Array("a,b\n1,\"".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        let e = #expect(throws: CSVError.self) { try Self.read(open) }
        #expect(e?.message.contains("unterminated") == true)
        let quotes = Array("a\n".utf8) + [UInt8](repeating: UInt8(ascii: "\""), count: 100_001)
        #expect(throws: CSVError.self) { try Self.read(quotes) }
        let big = Array("a\n\"".utf8) + [UInt8](repeating: UInt8(ascii: "\""), count: 1 << 20) + Array("\"\n".utf8)
        let t = try Self.read(big)
        #expect(t.rowCount == 1 && t.columns[0].data.value(at: 0).stringValue?.count == 1 << 19)
    }

    @Test func invalidUTF8IsRepairedNotTrapped() throws {
        let bytes: [UInt8] = Array("name,v\n".utf8) + [0xFF, 0xFE, 0xC0, 0x80, 0x2C, 0x31, 0x0A, 0xED, 0xA0, 0x80, 0x2C, 0x32]
        let t = try Self.read(bytes)
        #expect(t.rowCount == 2)
        #expect(t.columns[0].data.value(at: 0).stringValue?.contains("\u{FFFD}") == true)
    }
}

@Suite("Fuzz: CSV")
struct CSVFuzzTests {
    static let seeds: [[UInt8]] = [
        "id,name,score,when\n1,alice,3.5,2024-01-02\n2,\"bob, jr\",,2024-02-03\n3,\"say \"\"hi\"\"\",1e3,\n",
        "a;b;c\r\n1;2;3\r\n\"x\ny\";5;6\r\n",
        "\u{FEFF}x\n1\n\n2\n",
        "img\naGVsbG8=\nd29ybGQ=\n",
    ].map { Array($0.utf8) }

    @Test func csv() {
        var m = Mutator(seed: 6), tally = FuzzTally("csv")
        for i in 0..<fuzzIterations(default: 20000) {
            let seed = Self.seeds[i % Self.seeds.count]
            let bytes = m.mutate(seed, text: true)
            var options = CSVOptions()
            if i % Self.seeds.count == 1 { options.delimiter = UInt8(ascii: ";") }
            if i % Self.seeds.count == 3 { options.columnOverrides = [CSVColumnOverride(name: "img", type: .varbinary)] }
            if i % 7 == 0 { options.getNames = false }
            tally.run {
                let t = try CSVReader.read(bytes, name: "F", options: options)
                #expect(t.columns.count <= Limits.maxColumns && t.columns.count <= bytes.count + 1)
                #expect(t.columns.allSatisfy { $0.data.count == t.rowCount })
                #expect(t.rowCount <= bytes.count)
            }
        }
        tally.report()
        #expect(tally.errors > 0 && tally.values > 0)
    }
}
