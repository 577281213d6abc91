import CASWire
import SeededRandom
import Testing

@testable import CASCore

// MARK: - helpers

private func read(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> DataTable {
    try CSVReader.read(Array(text.utf8), name: "T", options: options)
}

/// Every cell of a column as a Value (`.null` for missing), which compares NaN-free.
private func cells(_ table: DataTable, _ column: String) -> [Value] {
    guard let c = table.column(column) else { return [] }
    return (0..<c.data.count).map { c.data.value(at: $0) }
}

/// The CSVError thrown by reading `text`, or nil.
private func csvError(_ text: String, _ options: CSVOptions = CSVOptions()) -> CSVError? {
    do {
        _ = try read(text, options)
        return nil
    } catch let error as CSVError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

private struct Cancelled: Error, Equatable {}

// MARK: - records and quoting

@Suite("CSV: records and quoting")
struct CSVRecordTests {
    @Test func headerAndInferredTypes() throws {
        let t = try read("name,age,score\nAlice,30,1.5\nBob,,2\n")
        #expect(t.name == "T")
        #expect(t.columns.map(\.name) == ["name", "age", "score"])
        #expect(t.columns.map(\.type) == [.varchar, .double, .double])
        #expect(cells(t, "name") == ["Alice", "Bob"])
        #expect(cells(t, "age") == [.double(30), .null])
        #expect(cells(t, "score") == [.double(1.5), .double(2)])
    }

    @Test func aCharacterLengthCutsLongerValuesAndIsIgnoredForNumbers() throws {
        let o = CSVOptions(columnOverrides: [CSVColumnOverride(name: "code", type: .varchar, length: 3), CSVColumnOverride(name: "n", length: 1)])
        let t = try read("code,n\nabcdef,12.5\nxy,\ndéjà vu,3\n", o)
        #expect(cells(t, "code") == ["abc", "xy", "déj"])       // characters, not bytes
        #expect(cells(t, "n") == [.double(12.5), .null, .double(3)])
    }

    @Test func quotedFieldsWithDelimitersAndEscapedQuotes() throws {
        let t = try read("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"\"\"\",plain\n")
        #expect(cells(t, "a") == ["x,y", "\""])
        #expect(cells(t, "b") == ["say \"hi\"", "plain"])
    }

    @Test func embeddedNewlines() throws {
        let t = try read("a,b\n\"line1\nline2\",2\n\"crlf\r\ninside\",4\n")
        #expect(cells(t, "a") == ["line1\nline2", "crlf\r\ninside"])
        #expect(cells(t, "b") == [.double(2), .double(4)])
    }

    @Test(arguments: ["a,b\r\n1,2\r\n3,4\r\n", "a,b\n1,2\n3,4\n", "a,b\r1,2\r3,4\r", "a,b\n1,2\n3,4"])
    func lineEndings(_ text: String) throws {
        let t = try read(text)
        #expect(t.rowCount == 2)
        #expect(cells(t, "a") == [.double(1), .double(3)])
        #expect(cells(t, "b") == [.double(2), .double(4)])
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let t = try CSVReader.read([0xEF, 0xBB, 0xBF] + Array("id,v\n1,x\n".utf8), name: "B")
        #expect(t.columns.map(\.name) == ["id", "v"])
        #expect(cells(t, "id") == [.double(1)])
    }

    @Test func noHeaderNamesColumnsVarN() throws {
        let t = try read("1,a\n2,b\n", CSVOptions(getNames: false))
        #expect(t.columns.map(\.name) == ["Var1", "Var2"])
        #expect(cells(t, "Var1") == [.double(1), .double(2)])
        #expect(cells(t, "Var2") == ["a", "b"])
    }

    @Test func headerNamesAreTrimmedDeduplicatedAndFilled() throws {
        let t = try read(" x ,X,,x\n1,2,3,4\n")
        #expect(t.columns.map(\.name) == ["x", "X_2", "Var3", "x_3"])
    }

    @Test func emptyCellsAreMissingAndQuotedEmptyIsAnEmptyString() throws {
        let t = try read("s,n\n,\n\"\",\"\"\nx,1\n")
        #expect(cells(t, "s") == [.null, "", "x"])
        #expect(cells(t, "n") == [.null, .null, .double(1)])
    }

    @Test func shortRowsGetMissingCells() throws {
        let t = try read("a,b,c\n1\n1,2\nx,2,3\n")
        #expect(cells(t, "a") == ["1", "1", "x"])
        #expect(cells(t, "b") == [.null, .double(2), .double(2)])
        #expect(cells(t, "c") == [.null, .null, .double(3)])
    }

    @Test func longRowIsAnErrorWithItsLine() {
        let error = csvError("a,b\n\"multi\nline\",2\n1,2,3\n")
        #expect(error?.line == 4)
        #expect(error?.message.contains("row has 3 fields but the header has 2 columns") == true)
        #expect(error?.description.hasPrefix("line 4: ") == true)
        #expect(csvError("1,2\n1,2,3\n", CSVOptions(getNames: false))?.message.contains("the first row has 2") == true)
    }

    @Test func trailingEmptyFieldsAreTolerated() throws {
        let t = try read("a,b\n1,2,\n3,4,,\n")
        #expect(t.columns.count == 2)
        #expect(cells(t, "b") == [.double(2), .double(4)])
    }

    @Test func blankLinesAreSkipped() throws {
        let t = try read("\na,b\n\n1,2\r\n\r\n3,4\n\n\n")
        #expect(cells(t, "a") == [.double(1), .double(3)])
    }

    @Test func blankLinesInAOneColumnFileAreMissingCells() throws {
        let t = try read("a\n1\n\n2\n\n")
        #expect(cells(t, "a") == [.double(1), .null, .double(2), .null])
    }

    @Test(arguments: [UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")])
    func otherDelimiters(_ d: UInt8) throws {
        let sep = String(UnicodeScalar(d))
        let t = try read("a\(sep)b\n1,5\(sep)\"x\(sep)y\"\n", CSVOptions(delimiter: d))
        #expect(cells(t, "a") == ["1,5"])
        #expect(cells(t, "b") == [.string("x\(sep)y")])
    }

    @Test func emptyInputAndHeaderOnly() throws {
        #expect(try read("").columns.isEmpty)
        #expect(try read("\n\n").columns.isEmpty)
        let t = try read("a,b\n")
        #expect(t.columns.map(\.name) == ["a", "b"])
        #expect(t.rowCount == 0)
    }

    @Test func unterminatedQuoteNamesTheRecordLine() {
        let error = csvError("a,b\n1,2\n3,\"open\nstill open\n")
        #expect(error?.line == 3)
        #expect(error?.message.contains("unterminated quoted field") == true)
    }

    @Test func textAfterClosingQuoteIsAnError() {
        let error = csvError("a,b\n1,\"x\"y\n")
        #expect(error?.line == 2)
        #expect(error?.message.contains("after a closing quote") == true)
    }
}

// MARK: - types

@Suite("CSV: type inference and overrides")
struct CSVTypeTests {
    @Test(arguments: [
        ("12", 12.0), (" 12 ", 12), ("+5", 5), ("-.5", -0.5), ("1e3", 1000), ("1E-2", 0.01), ("1.", 1), ("007", 7),
        ("0.1234567890123456789012", 0.1234567890123456789012), ("123456789012345678901234", 123456789012345678901234.0),
        ("1.7976931348623157e308", 1.7976931348623157e308), ("4.9e-324", Double.leastNonzeroMagnitude),
    ])
    func numbersParse(_ text: String, _ value: Double) throws {
        let t = try read("x\n\"\(text)\"\n")
        #expect(cells(t, "x") == [.double(value)])
    }

    @Test(arguments: ["1,5", "0x10", "inf", "nan", "1e", "--1", "1.2.3", "12a", "1e999", "- 1", "e5"])
    func nonNumbersMakeTheColumnText(_ text: String) throws {
        let t = try read("x\n1\n\"\(text)\"\n")
        #expect(t.columns[0].type == .varchar)
        #expect(cells(t, "x") == ["1", .string(text)])
    }

    @Test func aLoneDotIsAMissingNumber() throws {
        let t = try read("x\n1\n.\n")
        #expect(cells(t, "x") == [.double(1), .null])
    }

    @Test func lateTextKeepsTheExactTextOfEarlierRows() throws {
        var text = "id,v\n"
        for i in 0..<1000 { text += "\(i),\(i % 2 == 0 ? "1.50" : " 7")\n" }
        text += "1000,n/a\n"
        let t = try read(text, CSVOptions(checkpointInterval: 100))
        #expect(t.columns.map(\.type) == [.double, .varchar])
        let v = cells(t, "v")
        #expect(v.count == 1001)
        #expect(v.prefix(3) == ["1.50", " 7", "1.50"])
        #expect(v.last == "n/a")
    }

    @Test func guessRowsSettlesTypesEarly() {
        let error = csvError("x\n1\n2\nthree\n", CSVOptions(guessRows: 2))
        #expect(error?.line == 4)
        #expect(error?.message.contains("column 'x': 'three' is not a number") == true)
        #expect(error?.message.contains("guessRows") == true)
        #expect(csvError("x\n1\nthree\n", CSVOptions(guessRows: 2)) == nil)
    }

    @Test func overridesByNameAndIndex() throws {
        let options = CSVOptions(columnOverrides: [
            CSVColumnOverride(name: "ZIP", type: .varchar),
            CSVColumnOverride(index: 0, rename: "id", type: .int64, label: "Identifier"),
            CSVColumnOverride(name: "small", type: .int32, format: "BEST12."),
        ])
        let t = try read("n,zip,small,price\n9007199254740993,01234,7,2.5\n-4.0,,-2147483648,\n", options)
        #expect(t.columns.map(\.name) == ["id", "zip", "small", "price"])
        #expect(t.columns.map(\.type) == [.int64, .varchar, .int32, .double])
        #expect(cells(t, "id") == [.int(9_007_199_254_740_993), .int(-4)])  // exact beyond 2^53
        #expect(cells(t, "zip") == ["01234", .null])
        #expect(cells(t, "small") == [.int(7), .int(-2_147_483_648)])
        #expect(t.columns[0].label == "Identifier")
        #expect(t.columns[2].format == "BEST12.")
    }

    @Test func varbinaryOverrideDecodesBase64() throws {
        let t = try read("b\nAAEC/w==\n\n", CSVOptions(columnOverrides: [CSVColumnOverride(name: "b", type: .varbinary)]))
        #expect(cells(t, "b") == [.blob([0, 1, 2, 255]), .null])
    }

    struct BadCell: Sendable, CustomTestStringConvertible {
        var type: ColumnType
        var cell: String
        var fragment: String
        var testDescription: String { "\(type) \(cell)" }
    }

    @Test(arguments: [
        BadCell(type: .double, cell: "abc", fragment: "'abc' is not a number"),
        BadCell(type: .int64, cell: "1.5", fragment: "'1.5' is not an int64 integer"),
        BadCell(type: .int64, cell: "9223372036854775808", fragment: "is not an int64"),
        BadCell(type: .int32, cell: "2147483648", fragment: "is not an int32 integer"),
        BadCell(type: .varbinary, cell: "@@@", fragment: "is not base64"),
    ])
    func overrideFailuresNameLineAndColumn(_ c: BadCell) {
        let options = CSVOptions(columnOverrides: [CSVColumnOverride(name: "v", type: c.type)])
        let error = csvError("k,v\n1,\n2,\"\(c.cell)\"\n", options)
        #expect(error?.line == 3)
        #expect(error?.message.contains("column 'v'") == true, "\(String(describing: error))")
        #expect(error?.message.contains(c.fragment) == true, "\(String(describing: error))")
    }

    @Test func badOverridesAreErrors() {
        func error(_ o: [CSVColumnOverride]) -> String? { csvError("price,qty\n1,2\n", CSVOptions(columnOverrides: o))?.message }
        #expect(error([CSVColumnOverride(name: "prcie", type: .double)])?.contains("did you mean 'price'?") == true)
        #expect(error([CSVColumnOverride(index: 2)])?.contains("index 2 is out of range") == true)
        #expect(error([CSVColumnOverride(label: "x")])?.contains("needs a name or an index") == true)
        #expect(error([CSVColumnOverride(name: "qty", index: 0)])?.contains("also gives index 0") == true)
        #expect(error([CSVColumnOverride(name: "qty"), CSVColumnOverride(index: 1)])?.contains("two column overrides") == true)
        #expect(error([CSVColumnOverride(name: "qty", rename: "PRICE")])?.contains("two columns are named") == true)
    }
}

// MARK: - checkpoints

@Suite("CSV: progress and cancellation")
struct CSVCheckpointTests {
    static let big: [UInt8] = {
        var text = "a,b\n"
        for i in 0..<10_000 { text += "\(i),\(i * 2)\n" }
        return Array(text.utf8)
    }()

    @Test func checkpointRunsEveryIntervalRows() throws {
        var seen: [Int] = []
        let t = try CSVReader.read(Self.big, name: "B", options: CSVOptions(checkpointInterval: 2500)) { rows, _ in seen.append(rows) }
        #expect(seen == [2500, 5000, 7500, 10_000])
        #expect(t.rowCount == 10_000)
    }

    @Test func throwingFromCheckpointCancelsMidFile() {
        var seen: [Int] = []
        #expect(throws: Cancelled.self) {
            _ = try CSVReader.read(Self.big, name: "B", options: CSVOptions(checkpointInterval: 1000)) { rows, _ in
                seen.append(rows)
                if rows >= 3000 { throw Cancelled() }
            }
        }
        #expect(seen == [1000, 2000, 3000])  // stopped at the first check after the request
    }

    @Test func catchUpPassIsCancellableToo() {
        var text = "x\n"
        for i in 0..<5000 { text += "\(i)\n" }
        text += "end\n"
        var calls = 0
        #expect(throws: Cancelled.self) {
            _ = try CSVReader.read(Array(text.utf8), name: "C", options: CSVOptions(checkpointInterval: 1000)) { _, _ in
                calls += 1
                if calls > 5 { throw Cancelled() }  // 5 calls in the main pass, the 6th is in the catch-up pass
            }
        }
        #expect(calls == 6)
    }
}

// MARK: - writer

@Suite("CSV: writer and round trips")
struct CSVWriterTests {
    @Test func writesQuotesWhereNeeded() {
        let table = DataTable(name: "W", columns: [
            Column(name: "s", data: .varchar(["plain", "a,b", "say \"hi\"", "two\nlines", "", nil])),
            Column(name: "d", data: .double([1, 2.5, .nan, -0.25, 1e20, 3])),
            Column(name: "i", data: .int64([1, nil, -3, 4, 5, 6])),
        ])
        let text = String(decoding: CSVWriter.write(table), as: UTF8.self)
        #expect(text == "s,d,i\nplain,1,1\n\"a,b\",2.5,\n\"say \"\"hi\"\"\",,-3\n\"two\nlines\",-0.25,4\n\"\",1e+20,5\n,3,6\n")
    }

    @Test func writesOtherDelimitersAndNoHeader() {
        let table = DataTable(name: "W", columns: [
            Column(name: "a", data: .varchar(["x;y"])), Column(name: "b", data: .int32([7])),
        ])
        let text = String(decoding: CSVWriter.write(table, delimiter: UInt8(ascii: ";"), header: false), as: UTF8.self)
        #expect(text == "\"x;y\";7\n")
    }

    /// A random cell of `type` drawn to hit the awkward cases (quotes, line breaks, extremes, missing).
    private static func randomColumn(_ type: ColumnType, rows: Int, _ rng: inout SplitMix64) -> ColumnData {
        let pieces = ["a", "Z", " ", ",", "\"", "\n", "\r", "\r\n", "é", "😀", "1", ".", "-", "e", ";", "\t"]
        func string() -> String? {
            if Int.random(in: 0..<8, using: &rng) == 0 { return nil }
            return (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        }
        func double() -> Double {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: return .nan
            case 1: return Double(Int.random(in: -1000...1000, using: &rng))
            case 2: return Double.random(in: -1...1, using: &rng)
            case 3: return [0.1, -0.0, 1e15, 123456789.123, Double.leastNonzeroMagnitude, 1.7976931348623157e308].randomElement(using: &rng)!
            default:
                var d: Double
                repeat { d = Double(bitPattern: rng.next()) } while !d.isFinite
                return d
            }
        }
        switch type {
        case .double: return .double((0..<rows).map { _ in double() })
        case .int64:
            return .int64((0..<rows).map { _ in
                Bool.random(using: &rng) ? nil : [Int64.min, Int64.max, 0, Int64.random(in: .min ... .max, using: &rng)].randomElement(using: &rng)!
            })
        case .int32: return .int32((0..<rows).map { _ in Bool.random(using: &rng) ? nil : Int32.random(in: .min ... .max, using: &rng) })
        case .varchar: return .varchar((0..<rows).map { _ in string() })
        case .varbinary:
            return .varbinary((0..<rows).map { _ in
                Bool.random(using: &rng) ? nil : (0..<Int.random(in: 1...5, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            })
        }
    }

    @Test(arguments: 1...40)
    func randomTablesRoundTrip(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let rows = Int.random(in: 0...40, using: &rng)
        let names = ["id", "a,b", "x y", "\"q\"", "é"]
        var columns: [Column] = []
        for i in 0..<Int.random(in: 1...5, using: &rng) {
            let type = ColumnType.allCases.randomElement(using: &rng)!
            columns.append(Column(name: names[i], data: Self.randomColumn(type, rows: rows, &rng)))
        }
        let table = DataTable(name: "R", columns: columns)
        let bytes = CSVWriter.write(table)
        let overrides = columns.indices.map { CSVColumnOverride(index: $0, type: columns[$0].type) }
        let back = try CSVReader.read(bytes, name: "R", options: CSVOptions(columnOverrides: overrides))
        #expect(back.columns.map(\.name) == table.columns.map(\.name))
        #expect(back.columns.map(\.type) == table.columns.map(\.type))
        #expect(back.rowCount == rows)
        for c in columns.indices {
            let want = (0..<rows).map { table.columns[c].data.value(at: $0) }
            let got = (0..<back.rowCount).map { back.columns[c].data.value(at: $0) }
            #expect(got == want, "column \(columns[c].name) (\(columns[c].type)) of seed \(seed)")
        }
    }

    @Test func roundTripWithoutOverridesInfersNumbersAndText() throws {
        let table = DataTable(name: "P", columns: [
            Column(name: "name", data: .varchar(["a", nil, "c,d"])), Column(name: "x", data: .double([0.1, .nan, 1e-7])),
        ])
        let back = try CSVReader.read(CSVWriter.write(table), name: "P")
        #expect(back.columns.map(\.type) == [.varchar, .double])
        #expect(cells(back, "name") == ["a", .null, "c,d"])
        #expect(cells(back, "x") == [.double(0.1), .null, .double(1e-7)])
    }
}

// MARK: - number parser against the standard library

@Suite("CSV: fast number parser matches Double(String)")
struct CSVNumberTests {
    /// Random decimal texts: varying digit counts, decimal point positions, signs and exponents.
    private static func randomDecimal(_ rng: inout SplitMix64) -> String {
        let digits = (0..<Int.random(in: 1...22, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
        var text = Bool.random(using: &rng) ? "-" : ""
        let point = Int.random(in: 0...digits.count, using: &rng)
        text += String(digits.prefix(point)) + (point < digits.count ? "." + digits.dropFirst(point) : "")
        if text.hasSuffix("-") || text.hasSuffix(".") || text.isEmpty { text += "0" }
        if Int.random(in: 0..<3, using: &rng) == 0 { text += "e\(Int.random(in: -330...310, using: &rng))" }
        return text
    }

    @Test(arguments: [11, 12, 13])
    func agreesWithStandardLibrary(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<5000 {
            let text = Self.randomDecimal(&rng)
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { CSVNumber.double($0, 0, $0.count) }
            let reference = Double(text).flatMap { $0.isFinite ? $0 : nil }
            #expect(fast == reference, "\(text)")
            if fast != reference { return }
        }
    }

    @Test(arguments: [
        ("0", Int64(0)), ("-9223372036854775808", Int64.min), ("9223372036854775807", Int64.max), (" 42 ", 42), ("4.2e1", 42),
    ])
    func integersParseExactly(_ text: String, _ value: Int64) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBufferPointer { CSVNumber.int64($0, 0, $0.count) } == .some(value))
    }
}
