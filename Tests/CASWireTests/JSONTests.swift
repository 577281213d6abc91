import CASWire
import Testing

@Suite("JSON parser and writer")
struct JSONTests {
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"x"}}"#,
        #"[1,-2,3.5,1e-05,"\"q\"","\\","\n\t"]"#,
        #"{"Z":1,"a":2,"M":3}"#,
        #""héllo ✓ 𝄞""#,
        "[]", "{}", "0", "-0.5", "\"\"",
    ])
    func roundTrips(_ text: String) throws {
        let v = try JSONParser.parse(text)
        let again = try JSONParser.parse(v.jsonString)
        #expect(again == v)
    }

    @Test func keepsKeyOrderAndIntDoubleDistinction() throws {
        let v = try JSONParser.parse(#"{"z": 4, "a": 4.0, "m": 4.5}"#)
        #expect(v.dictValue?.keys == ["z", "a", "m"])
        #expect(v["z"] == .int(4))
        #expect(v["a"] == .double(4))
        #expect(v["A"] == .double(4), "lookup is case-insensitive")
    }

    @Test func unicodeEscapesAndSurrogates() throws {
        let v = try JSONParser.parse(#""\u00e9\ud834\udd1e\u0041""#)
        #expect(v == .string("é𝄞A"))
        #expect(Value.string("\u{01}").jsonString == #""\u0001""#)
    }

    @Test(arguments: [
        ("{", "expected a quoted key"), ("[1,]", "unexpected character"), (#"{"a" 1}"#, "expected ':'"), ("tru", "unexpected end"),
        ("[1 2]", "expected ','"), (#""abc"#, "unterminated"), ("1x", "after the value"), ("01x", "leading zeros"), ("-", "invalid number"),
    ])
    func malformedInputThrowsWithOffset(_ text: String, _ fragment: String) {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
            #expect(error.offset >= 0 && error.offset <= text.utf8.count)
        }
    }

    @Test func deepNestingIsRefusedNotCrashing() {
        let text = String(repeating: "[", count: 100_000)
        #expect(throws: JSONError.self) { try JSONParser.parse(text) }
    }

    @Test func blobsAndTablesUseTheProtocolShapes() throws {
        var t = DataTable(name: "T", label: "A table")
        t.columns = [
            Column(name: "d", label: "Dbl", format: "BEST12.", data: .double([1.5, .nan])),
            Column(name: "i", data: .int64([7, nil])),
            Column(name: "j", data: .int32([-3, nil])),
            Column(name: "s", attributes: ["k": "v"], data: .varchar(["a\"b", nil])),
            Column(name: "b", attributes: ["MIMEType": "image/png"], data: .varbinary([[0, 1, 2, 255], nil])),
        ]
        let v = Value.dict(["t": .table(t), "blob": .blob([1, 2, 3])])
        let text = v.jsonString
        #expect(text.contains(#""_ctb":true"#))
        #expect(text.contains(#"{"data":"AQID","length":3}"#))
        let back = try JSONParser.parse(text)
        #expect(back["blob"] == .blob([1, 2, 3]))
        #expect(back["t"].tableValue == t)
    }

    @Test func swatMissingStyleUsesSentinels() {
        let t = DataTable(name: "T", columns: [Column(name: "i", data: .int32([nil])), Column(name: "s", data: .varchar([nil])),
                                               Column(name: "l", data: .int64([nil])), Column(name: "d", data: .double([.nan]))])
        let text = String(decoding: Value.table(t).jsonBytes(missingStyle: .swat), as: UTF8.self)
        #expect(text.contains("[[-2147483648,\"\",-9223372036854775808,null]]"))
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 100, 1000])
    func base64RoundTrips(_ n: Int) {
        let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var out: [UInt8] = []
        Base64.encode(bytes, into: &out)
        #expect(out.count == (n + 2) / 3 * 4)
        #expect(Base64.decode(out) == bytes)
    }

    @Test func base64RejectsGarbage() {
        #expect(Base64.decode("ab$c") == nil)
    }
}

@Suite("JSON numbers")
struct JSONNumberTests {
    @Test(arguments: [0, 7, 10, -1, -10, 42, 1_000_000, -987_654_321, Int64.max, Int64.min, Int64.min + 1])
    func integersMatchTheStandardLibrary(_ i: Int64) {
        var w = JSONWriter()
        w.int(i)
        #expect(String(decoding: w.bytes, as: UTF8.self) == String(i))
    }

    @Test(arguments: [0.0, -0.0, 1.0, -3.0, 0.5, 1e-5, 123456789012345.0, 1e15, 2.5e300, -7.25])
    func doublesRoundTrip(_ d: Double) throws {
        var w = JSONWriter()
        w.double(d)
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(try JSONParser.parse(text).doubleValue == d, "\(text)")
    }

    @Test(arguments: ["1e400", "-1e400", "[1e999]", "{\"x\": 2e308}"])
    func numbersOutsideDoubleAreErrorsNotNulls(_ text: String) {
        let e = #expect(throws: JSONError.self) { try JSONParser.parse(text) }
        #expect(e?.message.contains("outside the range of a double") == true)
    }

    @Test func invalidUTF8IsAnErrorNotAReplacement() throws {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0x61, 0xC3, 0x22], [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22], [0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x3A, 0x31, 0x7D]] {
            let e = #expect(throws: JSONError.self, "\(bytes)") { try JSONParser.parse(bytes) }
            #expect(e?.message.contains("invalid UTF-8") == true)
        }
        #expect(try JSONParser.parse([0x22, 0xC3, 0xA9, 0x22]) == .string("é"))
        #expect(try JSONParser.parse("1.7976931348623157e308").doubleValue == .greatestFiniteMagnitude)
    }

    @Test(arguments: [#""\ud800""#, #""\ud800x""#, #""\ud800\u0041""#, #""\udc00""#, "00012", "-01", "[1, 007]"])
    func loneSurrogatesAndLeadingZerosAreErrors(_ text: String) {
        let e = #expect(throws: JSONError.self, "\(text)") { try JSONParser.parse(text) }
        #expect(e?.message.contains("surrogate") == true || e?.message.contains("leading zeros") == true, "\(String(describing: e))")
    }

    @Test func pairedSurrogatesZeroAndNaNStillParse() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse("0") == .int(0))
        #expect(try JSONParser.parse("-0.5").doubleValue == -0.5)
        #expect(try JSONParser.parse("0e1").doubleValue == 0)
        // Python's json writes NaN for a missing float: swat sends it in rows, where it is a missing value
        #expect(try JSONParser.parse("NaN").doubleValue?.isNaN == true)
    }
}
