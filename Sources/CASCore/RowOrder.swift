import CASWire

/// A sort key: a column and a direction.
public struct SortKey: Sendable {
    public var column: Int
    public var descending: Bool
    public init(column: Int, descending: Bool) {
        self.column = column
        self.descending = descending
    }
}

extension ColumnData {
    /// Compares two rows of this column; missing values sort lowest (SAS rules).
    @inline(__always)
    func compare(_ a: Int, _ b: Int) -> Int {
        func cmp<T: Comparable>(_ x: T?, _ y: T?) -> Int {
            switch (x, y) {
            case (nil, nil): 0
            case (nil, _): -1
            case (_, nil): 1
            case let (x?, y?): x < y ? -1 : (x > y ? 1 : 0)
            }
        }
        switch self {
        case .double(let v):
            let x = v[a], y = v[b]
            return cmp(x.isNaN ? nil : x, y.isNaN ? nil : y)
        case .int64(let v): return cmp(v[a], v[b])
        case .int32(let v): return cmp(v[a], v[b])
        case .varchar(let v): return cmp(v[a], v[b])
        case .varbinary(let v): return cmp(v[a].map { $0.lexicographicallyPrecedes([]) ? "" : String(decoding: $0, as: UTF8.self) },
                                           v[b].map { String(decoding: $0, as: UTF8.self) })
        }
    }
}

extension DataTable {
    /// Row indices in the order given by `keys` (stable: ties keep table order).
    public func sortedRows(by keys: [SortKey]) -> [Int] {
        var idx = Array(0..<rowCount)
        guard !keys.isEmpty else { return idx }
        let cols = keys.map { (columns[$0.column].data, $0.descending) }
        idx.sort { a, b in
            for (c, desc) in cols {
                let r = c.compare(a, b)
                if r != 0 { return desc ? r > 0 : r < 0 }
            }
            return a < b
        }
        return idx
    }
}
