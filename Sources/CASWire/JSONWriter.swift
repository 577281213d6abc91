/// Writes JSON into a byte buffer. Hand-written because the protocol streams large tables
/// (1 M rows) and Foundation's `JSONSerialization` writes them ~8× slower (295 ms for a 1 MB line
/// against 37 ms for `JSONEncoder`); see docs/decisions/001-json.md.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8] = []

    /// How missing table cells are written.
    public enum MissingStyle: Sendable {
        /// `null` for every type (the JSON-lines protocol).
        case null
        /// SWAT REST rules: `null` for double, `""` for strings, integer sentinels, empty blobs.
        case swat
    }
    public var missingStyle: MissingStyle

    public init(reserve: Int = 256, missingStyle: MissingStyle = .null) {
        bytes.reserveCapacity(reserve)
        self.missingStyle = missingStyle
    }

    @inline(__always) public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) public mutating func byte(_ b: UInt8) { bytes.append(b) }

    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var start = 0
            for i in 0..<utf8.count {
                let c = utf8[i]
                if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") { continue }
                if start < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i])) }
                start = i + 1
                switch c {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                default:
                    raw("\\u00")
                    bytes.append(Self.hex[Int(c >> 4)])
                    bytes.append(Self.hex[Int(c & 15)])
                }
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Decimal digits without allocating a String (tables write millions of these).
    public mutating func int(_ i: Int64) {
        if i >= 0 && i < 10 { bytes.append(UInt8(ascii: "0") + UInt8(i)); return }
        if i == .min { bytes.append(contentsOf: "-9223372036854775808".utf8); return }
        var v = i.magnitude
        if i < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, filled from the end
        withUnsafeMutableBytes(of: &digits) { buf in
            var k = buf.count
            repeat {
                k -= 1
                buf[k] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            bytes.append(contentsOf: buf[k...])
        }
    }

    /// Doubles in shortest round-trip form; non-finite values become `null` (JSON has no NaN).
    public mutating func double(_ d: Double) {
        guard d.isFinite else { raw("null"); return }
        if d == d.rounded(), abs(d) < 1e15 {
            int(Int64(d))
            raw(".0")
        } else {
            bytes.append(contentsOf: d.description.utf8)
        }
    }

    public mutating func blob(_ b: [UInt8]) {
        raw("{\"data\":\"")
        Base64.encode(b, into: &bytes)
        raw("\",\"length\":")
        int(Int64(b.count))
        byte(UInt8(ascii: "}"))
    }

    public mutating func value(_ v: Value) {
        switch v {
        case .null: raw("null")
        case .bool(let b): if b { raw("true") } else { raw("false") }
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .blob(let b): blob(b)
        case .list(let l):
            byte(UInt8(ascii: "["))
            for (i, e) in l.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                value(e)
            }
            byte(UInt8(ascii: "]"))
        case .dict(let d): dict(d)
        case .table(let t): table(t)
        }
    }

    public mutating func dict(_ d: ValueDict) {
        byte(UInt8(ascii: "{"))
        for (i, e) in d.entries.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            string(e.key)
            byte(UInt8(ascii: ":"))
            value(e.value)
        }
        byte(UInt8(ascii: "}"))
    }

    /// Attributes in SWAT's typed form: `{"Key": {"type": "int64", "value": 3}}`.
    mutating func typedAttributes(_ d: ValueDict) {
        byte(UInt8(ascii: "{"))
        for (i, e) in d.entries.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            string(e.key)
            raw(":{\"type\":")
            switch e.value {
            case .int: string("int64")
            case .double: string("double")
            default: string("string")
            }
            raw(",\"value\":")
            value(e.value)
            byte(UInt8(ascii: "}"))
        }
        byte(UInt8(ascii: "}"))
    }

    /// A table in the `_ctb` form of the SWAT REST protocol; the JSON-lines front end sends the same
    /// object (docs/protocol.md "Values").
    public mutating func table(_ t: DataTable) {
        raw("{\"_ctb\":true,\"name\":")
        string(t.name)
        raw(",\"label\":")
        string(t.label)
        raw(",\"title\":")
        string(t.title)
        raw(",\"attributes\":")
        typedAttributes(t.attributes)
        raw(",\"schema\":[")
        for (i, c) in t.columns.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            raw("{\"name\":")
            string(c.name)
            raw(",\"label\":")
            string(c.label)
            raw(",\"type\":")
            string(c.type.rawValue)
            raw(",\"format\":")
            string(c.format)
            raw(",\"width\":")
            int(Int64(c.width))
            raw(",\"attributes\":")
            typedAttributes(c.attributes)
            byte(UInt8(ascii: "}"))
        }
        raw("],\"rows\":[")
        let n = t.rowCount
        // room for typical cells up front: growing a 50 MB buffer by doubling copies it several times
        bytes.reserveCapacity(bytes.count + n * (2 + 9 * t.columns.count))
        for r in 0..<n {
            if r > 0 { byte(UInt8(ascii: ",")) }
            byte(UInt8(ascii: "["))
            for (i, c) in t.columns.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                cell(c.data, r)
            }
            byte(UInt8(ascii: "]"))
        }
        raw("]}")
    }

    @inline(__always) mutating func cell(_ data: ColumnData, _ r: Int) {
        let swat = missingStyle == .swat
        switch data {
        case .double(let a): double(a[r])
        case .int64(let a):
            if let v = a[r] { int(v) } else if swat { int(Int64.min) } else { raw("null") }
        case .int32(let a):
            if let v = a[r] { int(Int64(v)) } else if swat { int(Int64(Int32.min)) } else { raw("null") }
        case .varchar(let a):
            if let v = a[r] { string(v) } else if swat { raw("\"\"") } else { raw("null") }
        case .varbinary(let a):
            if let v = a[r] { blob(v) } else if swat { blob([]) } else { raw("null") }
        }
    }
}

extension Value {
    /// This value as compact JSON bytes.
    public func jsonBytes(missingStyle: JSONWriter.MissingStyle = .null) -> [UInt8] {
        var w = JSONWriter(missingStyle: missingStyle)
        w.value(self)
        return w.bytes
    }

    /// This value as a compact JSON string.
    public var jsonString: String { String(decoding: jsonBytes(), as: UTF8.self) }
}
