/// A table as bytes, for moving it between the processes of one server (the MPI scale-out: a controller sends
/// workers their rows and gathers them back). Exact: doubles by their bits (NaN payloads, -0 and infinities kept),
/// missing integers, strings and blobs as missing. Layout: "CTB1", the metadata (names, labels, formats,
/// attributes, types; the `_ctb` JSON object of a table with no rows) as an 8-byte length and its bytes, the row
/// count, then each column: doubles as 8 bytes each; other types a presence byte per row, then the values
/// (integers fixed width; strings and blobs an 8-byte length and their bytes). Little-endian.
/// Decoding checks every length against the bytes left: a short or crafted buffer is an error, never a crash.
extension DataTable {
    public struct BinaryError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The table's metadata with no rows (what the controller keeps of a distributed table, and the header here).
    public var schemaOnly: DataTable {
        var t = self
        for i in t.columns.indices { t.columns[i].data = .empty(columns[i].type) }
        return t
    }

    public func binaryEncoded() -> [UInt8] {
        var w = JSONWriter()
        w.table(schemaOnly)
        var out: [UInt8] = Array("CTB1".utf8)
        out.reserveCapacity(w.bytes.count + 16 + estimatedBytes)
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        u64(UInt64(w.bytes.count))
        out += w.bytes
        let n = rowCount
        u64(UInt64(n))
        func present<T>(_ a: [T?]) { out.append(contentsOf: a.lazy.map { $0 == nil ? 0 : 1 }) }
        for c in columns {
            switch c.data {
            case .double(let a): a.withUnsafeBytes { out.append(contentsOf: $0) }  // little-endian hosts only (x86_64, arm64)
            case .int64(let a):
                present(a)
                for v in a { u64(UInt64(bitPattern: v ?? 0)) }
            case .int32(let a):
                present(a)
                for v in a { withUnsafeBytes(of: (v ?? 0).littleEndian) { out.append(contentsOf: $0) } }
            case .varchar(let a):
                present(a)
                for v in a { let b = v.map { Array($0.utf8) } ?? []; u64(UInt64(b.count)); out += b }
            case .varbinary(let a):
                present(a)
                for v in a { u64(UInt64(v?.count ?? 0)); out += v ?? [] }
            }
        }
        return out
    }

    public init(binary bytes: [UInt8]) throws(BinaryError) {
        var at = 0
        func fail(_ what: String) -> BinaryError { BinaryError(description: "table bytes: \(what) at byte \(at) of \(bytes.count)") }
        func take(_ n: Int) throws(BinaryError) -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - at else { throw fail("\(n) bytes needed, \(bytes.count - at) left") }
            defer { at += n }
            return bytes[at..<at + n]
        }
        func u64() throws(BinaryError) -> UInt64 {
            let s = try take(8)
            return s.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }
        func count(_ what: String) throws(BinaryError) -> Int {
            let v = try u64()
            guard v <= UInt64(bytes.count - at) else { throw fail("\(what) \(v) exceeds the bytes left") }
            return Int(v)
        }
        guard Array(try take(4)) == Array("CTB1".utf8) else { throw fail("not a table (magic)") }
        let metaLength = try count("metadata length")
        let meta = try take(metaLength)
        guard case .table(var t)? = try? JSONParser.parse(Array(meta)) else { throw fail("unreadable metadata") }
        let n64 = try u64()
        // every row takes at least one byte of some column (a table with columns), except all-double tables: 8
        guard t.columns.isEmpty ? n64 == 0 : n64 <= UInt64(bytes.count - at) else { throw fail("row count \(n64) exceeds the bytes left") }
        let n = Int(n64)
        func flags() throws(BinaryError) -> ArraySlice<UInt8> { try take(n) }
        /// `count` fixed-width values, copied out byte-wise (they sit at any alignment in the buffer).
        func copied<T: BitwiseCopyable>(_: T.Type, _ count: Int) throws(BinaryError) -> [T] {
            let s = try take(Checked.bytes(count, MemoryLayout<T>.size) ?? -1)
            return [T](unsafeUninitializedCapacity: count) { out, initialized in
                s.withUnsafeBytes { UnsafeMutableRawBufferPointer(out).copyMemory(from: $0) }
                initialized = count
            }
        }
        for i in t.columns.indices {
            switch t.columns[i].type {
            case .double:
                t.columns[i].data = .double(try copied(Double.self, n))
            case .int64:
                let f = try flags()
                var a = [Int64?](); a.reserveCapacity(n)
                for k in 0..<n { let v = Int64(bitPattern: try u64()); a.append(f[f.startIndex + k] == 0 ? nil : v) }
                t.columns[i].data = .int64(a)
            case .int32:
                let f = try flags()
                let v = try copied(Int32.self, n)
                t.columns[i].data = .int32((0..<n).map { f[f.startIndex + $0] == 0 ? nil : Int32(littleEndian: v[$0]) })
            case .varchar:
                let f = try flags()
                var a = [String?](); a.reserveCapacity(n)
                for k in 0..<n {
                    let b = try take(try count("string length"))
                    a.append(f[f.startIndex + k] == 0 ? nil : String(decoding: b, as: UTF8.self))
                }
                t.columns[i].data = .varchar(a)
            case .varbinary:
                let f = try flags()
                var a = [[UInt8]?](); a.reserveCapacity(n)
                for k in 0..<n {
                    let b = try take(try count("blob length"))
                    a.append(f[f.startIndex + k] == 0 ? nil : Array(b))
                }
                t.columns[i].data = .varbinary(a)
            }
        }
        guard at == bytes.count else { throw fail("\(bytes.count - at) bytes after the last column") }
        self = t
    }
}

/// Overflow-checked sizes for the decoder (CASWire does not depend on CheckedSize).
private enum Checked {
    static func bytes(_ n: Int, _ size: Int) -> Int? {
        let (p, o) = n.multipliedReportingOverflow(by: size)
        return o ? nil : p
    }
}
