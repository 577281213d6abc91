/// A JSON syntax error with the byte offset where it was found.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Parses JSON into `Value`, keeping object key order and distinguishing integers from doubles.
///
/// Objects of the protocol's special shapes become typed values: `{"_ctb": true, …}` a table,
/// `{"data": "<base64>", "length": n}` (optionally with `"_blob": true`) a blob. Nesting is limited
/// (`maxDepth`) so hostile input cannot exhaust the stack. Hand-written for ordered keys and speed;
/// see docs/decisions/001-json.md.
public struct JSONParser {
    public static let maxDepth = 256

    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> Value {
        try bytes.withUnsafeBufferPointer { (p) throws(JSONError) -> Value in try parse(p) }
    }

    public static func parse(_ text: String) throws(JSONError) -> Value { try parse(Array(text.utf8)) }

    /// Plain JSON data, as a file holds it: no object becomes a table or a blob, whatever its keys.
    public static func parseData(_ bytes: [UInt8]) throws(JSONError) -> Value {
        try bytes.withUnsafeBufferPointer { (p) throws(JSONError) -> Value in try parse(p, protocolShapes: false) }
    }

    public static func parse(_ p: UnsafeBufferPointer<UInt8>, protocolShapes: Bool = true) throws(JSONError) -> Value {
        var parser = JSONParser(p: p, protocolShapes: protocolShapes)
        parser.skipSpace()
        let v = try parser.value(depth: 0)
        parser.skipSpace()
        if parser.i != p.count { throw parser.fail("unexpected text after the value") }
        return v
    }

    let p: UnsafeBufferPointer<UInt8>
    /// Whether `{"_ctb": true, …}` and `{"data", "length"}` objects become tables and blobs (the wire protocol) or stay objects (files).
    let protocolShapes: Bool
    var i = 0

    func fail(_ m: String) -> JSONError { JSONError(message: m, offset: i) }

    mutating func skipSpace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) throws(JSONError) -> Value {
        guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        guard i < p.count else { throw fail("unexpected end of input") }
        switch p[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N"): try literal("NaN"); return .double(.nan)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character '\(Unicode.Scalar(p[i]))'")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= p.count else { throw fail("unexpected end of input") }
        for k in 0..<n where p[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
        i += n
    }

    mutating func number() throws(JSONError) -> Value {
        let start = i
        var isInt = true
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < p.count, p[i] >= 0x30, p[i] <= 0x39 else { throw fail("invalid number") }
        if p[i] == UInt8(ascii: "0"), i + 1 < p.count, p[i + 1] >= 0x30, p[i + 1] <= 0x39 { throw fail("a number may not start with 0 (leading zeros)") }
        while i < p.count {
            let c = p[i]
            if c >= 0x30 && c <= 0x39 {
                i += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
            {
                isInt = false
                i += 1
            } else {
                break
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        if isInt, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { i = start; throw fail("invalid number '\(text)'") }
        // 1e400 would become infinity (and then null on the way out): refuse it instead
        guard d.isFinite else { i = start; throw fail("the number \(text.prefix(40)) is outside the range of a double (about ±1.8e308)") }
        return .double(d)
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard i + 4 <= p.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = p[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func string() throws(JSONError) -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes.
        while i < p.count, p[i] != UInt8(ascii: "\""), p[i] != UInt8(ascii: "\\") {
            if p[i] < 0x20 { throw fail("control character in string") }
            i += 1
        }
        guard i < p.count else { throw fail("unterminated string") }
        if p[i] == UInt8(ascii: "\"") {
            guard let s = String(validating: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self) else {
                i = start
                throw fail("invalid UTF-8 in string")
            }
            i += 1
            return s
        }
        var out = Array(UnsafeBufferPointer(rebasing: p[start..<i]))
        while true {
            guard i < p.count else { throw fail("unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < p.count else { throw fail("unterminated escape") }
            let e = p[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 6 <= p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else {
                        throw fail("a \\u escape of a high surrogate must be followed by a low one")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw fail("a \\u escape of a high surrogate must be followed by a low one") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("a \\u escape of a low surrogate must follow a high one") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw fail("invalid escape '\\\(Unicode.Scalar(e))'")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { i = start; throw fail("invalid UTF-8 in string") }
        return s
    }

    mutating func array(depth: Int) throws(JSONError) -> Value {
        i += 1
        var items: [Value] = []
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "]") { i += 1; return .list(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard i < p.count else { throw fail("unterminated list") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { i += 1; return .list(items) }
            throw fail("expected ',' or ']' in list")
        }
    }

    mutating func object(depth: Int) throws(JSONError) -> Value {
        i += 1
        var d = ValueDict()
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "}") { i += 1; return .dict(d) }
        while true {
            skipSpace()
            guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
            let key = try string()
            skipSpace()
            guard i < p.count, p[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
            i += 1
            skipSpace()
            d.appendUnchecked(key, try value(depth: depth + 1))
            skipSpace()
            guard i < p.count else { throw fail("unterminated object") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; break }
            throw fail("expected ',' or '}' in object")
        }
        return protocolShapes ? Self.special(d) : .dict(d)
    }

    /// Turns protocol-shaped objects into tables and blobs.
    static func special(_ d: ValueDict) -> Value {
        if case .bool(true)? = d["_ctb"], let t = DataTable(wire: d) { return .table(t) }
        let isBlobShape = (d.count == 2 || (d.count == 3 && d["_blob"] != nil)) && d["length"] != nil
        if isBlobShape, case .string(let s)? = d["data"], let bytes = Base64.decode(s) { return .blob(bytes) }
        return .dict(d)
    }
}

extension DataTable {
    /// Decodes a `_ctb` table object. Cells are typed by the schema; nil if the shape is wrong.
    public init?(wire d: ValueDict) {
        guard case .list(let schema)? = d["schema"] else { return nil }
        var cols: [Column] = []
        for s in schema {
            guard let name = s["name"].stringValue, let type = ColumnType(name: s["type"].stringValue ?? "double") else { return nil }
            cols.append(Column(name: name, label: s["label"].stringValue ?? "", format: s["format"].stringValue ?? "",
                               attributes: Self.untype(s["attributes"].dictValue), data: .empty(type)))
        }
        var t = DataTable(name: d["name"]?.stringValue ?? "", label: d["label"]?.stringValue ?? "",
                          title: d["title"]?.stringValue ?? "", attributes: Self.untype(d["attributes"]?.dictValue), columns: cols)
        if case .list(let rows)? = d["rows"] {
            for row in rows {
                guard case .list(let cells) = row, cells.count == cols.count else { return nil }
                for (c, v) in cells.enumerated() { t.columns[c].data.append(v) }
            }
        }
        self = t
    }

    /// `{"K": {"type": T, "value": V}}` → `{"K": V}`.
    static func untype(_ d: ValueDict?) -> ValueDict {
        var out = ValueDict()
        for (k, v) in d ?? ValueDict() { out[k] = v.dictValue.flatMap { $0["value"] } ?? v }
        return out
    }
}
