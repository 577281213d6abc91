/// Writes JSON into a byte buffer. Hand-written because the protocol streams large tables
/// (1 M rows) and Foundation's `JSONSerialization` writes them ~8× slower (295 ms for a 1 MB line
/// against 37 ms for `JSONEncoder`); see docs/decisions/001-json.md.
public struct JSONWriter {
    public var bytes: [UInt8] = []
    /// Where a long value goes while it is written: `rows` hands `bytes` to `emit` and empties it
    /// whenever it holds `chunk` bytes or more (`ServerFrame.writeLine`). Nil: everything stays in `bytes`.
    var sink: (chunk: Int, emit: (UnsafeRawBufferPointer) -> Void)?

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

    /// Appends what `write` puts at most `bound` bytes of room (it returns how many it wrote).
    @inline(__always) mutating func appendRaw(upTo bound: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buf in
            let n = write(buf.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[..<n]))
        }
    }

    public mutating func string(_ s: String) { appendRaw(upTo: RawFormat.stringBound(s)) { RawFormat.string(s, $0) } }

    /// Decimal digits without allocating a String (tables write millions of these).
    public mutating func int(_ i: Int64) { appendRaw(upTo: RawFormat.intBound) { RawFormat.int(i, $0) } }

    /// Doubles in shortest round-trip form (the same digits as `Double.description`); non-finite
    /// values become `null` (JSON has no NaN). See `RawFormat.double`.
    public mutating func double(_ d: Double) { appendRaw(upTo: RawFormat.doubleBound) { RawFormat.double(d, $0) } }

    public mutating func blob(_ b: [UInt8]) { appendRaw(upTo: RawFormat.blobBound(b)) { RawFormat.blob(b, $0) } }

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
    /// loop over its typed array into raw memory (one type switch and one room check per column and
    /// block, not per cell), then the block's rows are assembled from those cells. Same bytes as
    /// `rowsByCell`, the plain reference.
    mutating func rows(_ columns: [ColumnData], count n: Int) {
        guard !columns.isEmpty, n > 0 else { return }
        // room for typical cells up front: growing a 50 MB buffer by doubling copies it several times
        if sink == nil { bytes.reserveCapacity(bytes.count + n * (2 + 9 * columns.count)) }
        // 4 096 rows a block, fewer for wide tables: a block holds at most 2^18 cells (a table may have 2^20 columns)
        let block = max(1, min(4096, (1 << 18) / columns.count))
        var cells = RawBuffer(capacity: block * 16 * columns.count)
        var assembled = RawBuffer(capacity: block * 18 * columns.count)
        var ends = [Int](repeating: 0, count: block * columns.count)
        var start = 0
        while start < n {
            let end = min(n, start + block)
            let m = end - start
            cells.count = 0
            for (c, data) in columns.enumerated() {
                writeCells(data, start..<end, into: &cells, ends: &ends, at: c * block)
            }
            // each row adds "[", "]", a comma between cells and one before it (but the first)
            let size = cells.count + m * (columns.count + 2) - (start == 0 ? 1 : 0)
            assembled.count = 0
            var o = assembled.room(size)
            ends.withUnsafeBufferPointer { ends in
                let src = cells.base
                var from = 0  // column c's cells follow column c-1's m cells in `cells`
                for r in 0..<m {
                    if start + r > 0 { o.pointee = UInt8(ascii: ","); o += 1 }
                    o.pointee = UInt8(ascii: "["); o += 1
                    for c in 0..<columns.count {
                        if c > 0 { o.pointee = UInt8(ascii: ","); o += 1 }
                        let at = c * block + r
                        from = r > 0 ? ends[at - 1] : (c > 0 ? ends[at - block + m - 1] : 0)
                        let count = ends[at] - from
                        o.update(from: src + from, count: count)
                        o += count
                    }
                    o.pointee = UInt8(ascii: "]"); o += 1
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(start: assembled.base, count: size))
            start = end
            if let sink, bytes.count >= sink.chunk {
                bytes.withUnsafeBytes(sink.emit)
                bytes.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Appends the cells `range` of one column to `out`, recording where each cell ends in `ends[at...]`.
    private func writeCells(_ data: ColumnData, _ range: Range<Int>, into out: inout RawBuffer, ends: inout [Int], at: Int) {
        let swat = missingStyle == .swat
        ends.withUnsafeMutableBufferPointer { ends in
            var k = at
            switch data {
            case .double(let a):
                Self.fixedCells(a, range, bound: RawFormat.doubleBound, into: &out, ends: ends, at: &k) { RawFormat.double($0, $1) }
            case .int64(let a):
                Self.fixedCells(a, range, bound: RawFormat.intBound, into: &out, ends: ends, at: &k) { v, o in
                    RawFormat.int(v ?? (swat ? .min : 0), o, null: v == nil && !swat)
                }
            case .int32(let a):
                Self.fixedCells(a, range, bound: RawFormat.intBound, into: &out, ends: ends, at: &k) { v, o in
                    RawFormat.int(Int64(v ?? (swat ? .min : 0)), o, null: v == nil && !swat)
                }
            case .varchar(let a):
                for r in range {
                    let s = a[r] ?? (swat ? "" : nil)
                    let o = out.room(s.map(RawFormat.stringBound) ?? 4)
                    out.advance(to: o + (s.map { RawFormat.string($0, o) } ?? RawFormat.null(o)))
                    ends[k] = out.count; k += 1
                }
            case .varbinary(let a):
                for r in range {
                    let b = a[r] ?? (swat ? [] : nil)
                    let o = out.room(b.map(RawFormat.blobBound) ?? 4)
                    out.advance(to: o + (b.map { RawFormat.blob($0, o) } ?? RawFormat.null(o)))
                    ends[k] = out.count; k += 1
                }
            }
        }
    }

    /// Cells of at most `bound` bytes each: room is made once for the whole range.
    @inline(__always) private static func fixedCells<T>(_ a: [T], _ range: Range<Int>, bound: Int, into out: inout RawBuffer,
                                                         ends: UnsafeMutableBufferPointer<Int>, at k: inout Int,
                                                         _ format: (T, UnsafeMutablePointer<UInt8>) -> Int) {
        var o = out.room(range.count * bound)
        let base = out.base
        a.withUnsafeBufferPointer { a in
            for r in range { o += format(a[r], o); ends[k] = o - base; k += 1 }
        }
        out.advance(to: o)
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

/// Formatting straight into memory the caller has made room for (`…Bound` bytes): the table writer
/// makes room once per column block, not once per cell. Each returns the number of bytes written.
enum RawFormat {
    static let intBound = 20  // "-9223372036854775808"
    static let doubleBound = 32  // what the runtime's formatter asks for
    @inline(__always) static func stringBound(_ s: String) -> Int { 2 + 6 * s.utf8.count }
    @inline(__always) static func blobBound(_ b: [UInt8]) -> Int { 31 + Base64.encodedCount(b.count) + intBound }

    @inline(__always) static func null(_ p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = UInt8(ascii: "n"); p[1] = UInt8(ascii: "u"); p[2] = UInt8(ascii: "l"); p[3] = UInt8(ascii: "l")
        return 4
    }

    /// `i` in decimal, or `null` when `null` is set.
    @inline(__always) static func int(_ i: Int64, _ p: UnsafeMutablePointer<UInt8>, null isNull: Bool = false) -> Int {
        if isNull { return null(p) }
        if i < 0 { p.pointee = UInt8(ascii: "-"); return 1 + uint(i.magnitude, p + 1) }
        return uint(UInt64(i), p)
    }

    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// Decimal digits, two at a time from the end.
    @inline(__always) static func uint(_ v: UInt64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 1, t = v
        while t >= 100 { t /= 100; n += 2 }
        if t >= 10 { n += 1 }
        let pairs = digitPairs.utf8Start
        var v = v, e = p + n
        while v >= 100 {
            let r = Int(v % 100) * 2
            v /= 100
            e -= 2; e[0] = pairs[r]; e[1] = pairs[r + 1]
        }
        if v >= 10 { e -= 2; e[0] = pairs[Int(v) * 2]; e[1] = pairs[Int(v) * 2 + 1] } else { e[-1] = UInt8(ascii: "0") + UInt8(v) }
        return n
    }

    /// Shortest round-trip digits, the same as `Double.description`; non-finite values are `null`.
    ///
    /// Two exact fast paths, then the Swift runtime's own shortest-digits routine:
    /// - whole numbers below 10^15 are integers followed by ".0";
    /// - a value with 1 to 3 decimals (|d| in [0.001, 10^12)) whose `d × 10^k` is a whole number `t`
    ///   with `t / 10^k == d` is written as t with the point put back: that decimal reads back as d
    ///   (the division of two exact numbers rounds correctly), and it is the shortest that does — at
    ///   these magnitudes a double's spacing is below 10^-k / 8, so no other decimal of k or fewer
    ///   places rounds to d. A t ending in 0 takes the general path.
    /// `JSONTableWriterTests` checks every path against `description`.
    @inline(__always) static func double(_ d: Double, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        guard d.isFinite else { return null(p) }
        let a = abs(d)
        if d == d.rounded(.towardZero), a < 1e15, d != 0 || d.sign == .plus {
            let n = int(Int64(d), p)
            p[n] = UInt8(ascii: "."); p[n + 1] = UInt8(ascii: "0")
            return n + 2
        }
        if a >= 1e-3, a < 1e12 {
            var scale = 10.0, pow10: UInt64 = 10
            for k in 1...3 {
                let t = a * scale
                if t == t.rounded(.towardZero), t / scale == a {
                    let whole = UInt64(t)
                    guard whole % 10 != 0 else { break }
                    var o = p
                    if d < 0 { o.pointee = UInt8(ascii: "-"); o += 1 }
                    o += uint(whole / pow10, o)
                    o.pointee = UInt8(ascii: "."); o += 1
                    var frac = whole % pow10
                    for i in stride(from: k - 1, through: 0, by: -1) { o[i] = UInt8(ascii: "0") + UInt8(frac % 10); frac /= 10 }
                    return o + k - p
                }
                scale *= 10
                pow10 *= 10
            }
        }
        // filled with "0" first: this runtime leaves the zero digits it emits unwritten (checked
        // against `description` by the tests on every build)
        UnsafeMutableRawPointer(p).initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "0"), count: doubleBound)
        return Int(swiftFloat64ToString(p, UInt(doubleBound), d, false))
    }

    /// A quoted JSON string: runs of plain bytes copied whole, the rest escaped.
    static func string(_ s: String, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var s = s
        return s.withUTF8 { utf8 in
            var o = p
            o.pointee = UInt8(ascii: "\""); o += 1
            var start = 0
            for i in 0..<utf8.count {
                let c = utf8[i]
                if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") { continue }
                o.update(from: utf8.baseAddress! + start, count: i - start)
                o += i - start
                start = i + 1
                o[0] = UInt8(ascii: "\\")
                switch c {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): o[1] = c; o += 2
                case 0x0A: o[1] = UInt8(ascii: "n"); o += 2
                case 0x0D: o[1] = UInt8(ascii: "r"); o += 2
                case 0x09: o[1] = UInt8(ascii: "t"); o += 2
                default:
                    let hex = hexDigits.utf8Start
                    o[1] = UInt8(ascii: "u"); o[2] = UInt8(ascii: "0"); o[3] = UInt8(ascii: "0")
                    o[4] = hex[Int(c >> 4)]; o[5] = hex[Int(c & 15)]
                    o += 6
                }
            }
            if start < utf8.count {
                o.update(from: utf8.baseAddress! + start, count: utf8.count - start)
                o += utf8.count - start
            }
            o.pointee = UInt8(ascii: "\""); o += 1
            return o - p
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// `{"data":"<base64>","length":N}`.
    static func blob(_ b: [UInt8], _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var o = p
        for c in "{\"data\":\"".utf8 { o.pointee = c; o += 1 }
        o += b.withUnsafeBufferPointer { Base64.encode($0, to: o) }
        for c in "\",\"length\":".utf8 { o.pointee = c; o += 1 }
        o += int(Int64(b.count), o)
        o.pointee = UInt8(ascii: "}"); o += 1
        return o - p
    }
}

/// A growable byte buffer the table writer formats cells into through raw pointers.
struct RawBuffer: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for `n` more bytes (moving the buffer if it must) and returns where the next byte goes.
    mutating func room(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity {
            let grown = max(capacity * 2, count + n)
            let b = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            b.update(from: base, count: count)
            base.deallocate()
            base = b
            capacity = grown
        }
        return base + count
    }

    /// Takes the bytes written up to `p` (a pointer from `room`, moved forward) as part of the buffer.
    mutating func advance(to p: UnsafeMutablePointer<UInt8>) { count = p - base }
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
