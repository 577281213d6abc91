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

    /// Doubles in shortest round-trip form (the same digits as `Double.description`); non-finite
    /// values become `null` (JSON has no NaN). Whole numbers below 10^15 take the integer path; the
    /// rest are formatted by the Swift runtime's own shortest-digits routine straight into this buffer
    /// (`description` would allocate a String per cell). `JSONTableWriterTests` checks both paths
    /// against `description` on 1.1 million values.
    public mutating func double(_ d: Double) {
        guard d.isFinite else { raw("null"); return }
        if d == d.rounded(), abs(d) < 1e15, d != 0 || d.sign == .plus {
            int(Int64(d))
            raw(".0")
            return
        }
        // 32 bytes, as the runtime asks, filled with "0": this runtime leaves the zero digits it
        // emits unwritten (checked against `description` by the tests on every build)
        let zeros: UInt64 = 0x3030_3030_3030_3030
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (zeros, zeros, zeros, zeros)
        withUnsafeMutableBytes(of: &scratch) { buf in
            let p = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = Int(swiftFloat64ToString(p, UInt(buf.count), d, false))
            bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
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
        rows(t.columns.map(\.data), count: t.rowCount)
        raw("]}")
    }

    /// Rows a block at a time, column by column: each column's cells of the block are formatted by a
    /// loop over its typed array (one type switch per column and block, not per cell), then the
    /// block's rows are assembled from those cells. Same bytes as `rowsByCell`, the plain reference.
    mutating func rows(_ columns: [ColumnData], count n: Int) {
        guard !columns.isEmpty, n > 0 else { return }
        // room for typical cells up front: growing a 50 MB buffer by doubling copies it several times
        bytes.reserveCapacity(bytes.count + n * (2 + 9 * columns.count))
        let block = 4096
        var cells = JSONWriter(reserve: block * 16 * columns.count, missingStyle: missingStyle)
        var ends = [Int](repeating: 0, count: block * columns.count)
        var start = 0
        while start < n {
            let end = min(n, start + block)
            let m = end - start
            cells.bytes.removeAll(keepingCapacity: true)
            for (c, data) in columns.enumerated() {
                cells.cells(data, start..<end, ends: &ends, at: c * block)
            }
            cells.bytes.withUnsafeBufferPointer { src in
                ends.withUnsafeBufferPointer { ends in
                    for r in 0..<m {
                        if start + r > 0 { byte(UInt8(ascii: ",")) }
                        byte(UInt8(ascii: "["))
                        for c in 0..<columns.count {
                            if c > 0 { byte(UInt8(ascii: ",")) }
                            // column c's cells follow column c-1's m cells in `cells`
                            let from = r > 0 ? ends[c * block + r - 1] : (c > 0 ? ends[(c - 1) * block + m - 1] : 0)
                            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: src[from..<ends[c * block + r]]))
                        }
                        byte(UInt8(ascii: "]"))
                    }
                }
            }
            start = end
        }
    }

    /// Appends the cells `range` of one column, recording where each cell ends in `ends[at...]`.
    private mutating func cells(_ data: ColumnData, _ range: Range<Int>, ends: inout [Int], at: Int) {
        let swat = missingStyle == .swat
        var k = at
        switch data {
        case .double(let a):
            a.withUnsafeBufferPointer { a in
                for r in range { double(a[r]); ends[k] = bytes.count; k += 1 }
            }
        case .int64(let a):
            a.withUnsafeBufferPointer { a in
                for r in range {
                    if let v = a[r] { int(v) } else if swat { int(Int64.min) } else { raw("null") }
                    ends[k] = bytes.count; k += 1
                }
            }
        case .int32(let a):
            a.withUnsafeBufferPointer { a in
                for r in range {
                    if let v = a[r] { int(Int64(v)) } else if swat { int(Int64(Int32.min)) } else { raw("null") }
                    ends[k] = bytes.count; k += 1
                }
            }
        case .varchar(let a):
            a.withUnsafeBufferPointer { a in
                for r in range {
                    if let v = a[r] { string(v) } else if swat { raw("\"\"") } else { raw("null") }
                    ends[k] = bytes.count; k += 1
                }
            }
        case .varbinary(let a):
            a.withUnsafeBufferPointer { a in
                for r in range {
                    if let v = a[r] { blob(v) } else if swat { blob([]) } else { raw("null") }
                    ends[k] = bytes.count; k += 1
                }
            }
        }
    }

    /// The reference for `rows`: every cell through one type switch, row by row.
    mutating func rowsByCell(_ columns: [ColumnData], count n: Int) {
        for r in 0..<n {
            if r > 0 { byte(UInt8(ascii: ",")) }
            byte(UInt8(ascii: "["))
            for (i, c) in columns.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                cell(c, r)
            }
            byte(UInt8(ascii: "]"))
        }
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

/// The Swift runtime's shortest round-trip formatter behind `Double.description` (exported by
/// libswiftCore; the standard library declares it the same way). Writes at most `length` bytes, no NUL.
@_silgen_name("swift_float64ToString")
private func swiftFloat64ToString(_ buffer: UnsafeMutablePointer<UInt8>, _ length: UInt, _ value: Double, _ debug: Bool) -> UInt64

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
