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
    /// Bytes the table's columns hold in memory (see `ColumnData.estimatedBytes`).
    public var estimatedBytes: Int { columns.reduce(0) { $0 &+ $1.data.estimatedBytes } }
}
