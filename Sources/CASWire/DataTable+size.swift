extension ColumnData {
    /// Bytes the column holds in memory, as the memory budget counts them: the array's elements plus
    /// every string's and blob's own storage (short strings live inside the element).
    public var estimatedBytes: Int {
        switch self {
        case .double(let a): return a.count * MemoryLayout<Double>.stride
        case .int64(let a): return a.count * MemoryLayout<Int64?>.stride
        case .int32(let a): return a.count * MemoryLayout<Int32?>.stride
        case .varchar(let a):
            var n = a.count * MemoryLayout<String?>.stride
            for s in a { if let s, s.utf8.count > 15 { n &+= s.utf8.count + 32 } }
            return n
        case .varbinary(let a):
            var n = a.count * MemoryLayout<[UInt8]?>.stride
            for b in a { if let b { n &+= b.count + 32 } }
            return n
        }
    }
}

extension DataTable {
    /// Bytes the table holds in memory, as the memory budget counts them: its columns' data
    /// (`ColumnData.estimatedBytes`) and its descriptive texts — names, labels, formats, title and the
    /// table's and columns' attributes, which a client can make as large as cells.
    public var estimatedBytes: Int {
        var n = name.utf8.count &+ label.utf8.count &+ title.utf8.count &+ attributes.estimatedBytes
        for c in columns {
            n &+= c.data.estimatedBytes &+ c.name.utf8.count &+ c.label.utf8.count &+ c.format.utf8.count &+ c.attributes.estimatedBytes
        }
        return n
    }
}

extension ValueDict {
    /// Bytes of the keys and values, 16 more for each entry.
    public var estimatedBytes: Int { reduce(0) { $0 &+ $1.key.utf8.count &+ $1.value.estimatedBytes &+ 16 } }
}

extension Value {
    /// Bytes of strings, blobs and tables, 16 for any other value, lists and dictionaries summed.
    public var estimatedBytes: Int {
        switch self {
        case .string(let s): s.utf8.count &+ 16
        case .blob(let b): b.count &+ 16
        case .list(let l): l.reduce(16) { $0 &+ $1.estimatedBytes &+ 16 }
        case .dict(let d): d.estimatedBytes &+ 16
        case .table(let t): t.estimatedBytes &+ 16
        default: 16
        }
    }
}
