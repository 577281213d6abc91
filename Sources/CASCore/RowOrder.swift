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
    public func sortedRows(by keys: [SortKey]) -> [Int] { sortedRows(by: keys, checkpoint: { () throws(Never) in }) }

    /// The same order, with `checkpoint` run between pieces of the work (about every 65 536 rows sorted
    /// or merged): it may throw to stop the sort, as a cancel does. Runs of 65 536 rows are sorted by the
    /// standard library, then merged pairwise.
    public func sortedRows<E: Error>(by keys: [SortKey], checkpoint: () throws(E) -> Void) throws(E) -> [Int] {
        var idx = Array(0..<rowCount)
        guard !keys.isEmpty else { return idx }
        let less = rowLess(keys)
        let n = idx.count, piece = 1 << 16
        for start in stride(from: 0, to: n, by: piece) {
            try checkpoint()
            idx[start..<min(n, start + piece)].sort(by: less)
        }
        var merged = idx
        var width = piece
        while width < n {
            for lo in stride(from: 0, to: n, by: 2 * width) {
                let mid = min(n, lo + width), hi = min(n, lo + 2 * width)
                var i = lo, j = mid, k = lo
                while k < hi {
                    if k & (piece - 1) == 0 { try checkpoint() }
                    if j >= hi || (i < mid && !less(idx[j], idx[i])) { merged[k] = idx[i]; i += 1 } else { merged[k] = idx[j]; j += 1 }
                    k += 1
                }
            }
            swap(&idx, &merged)
            width *= 2
        }
        return idx
    }

    /// Whether row a comes before row b in `keys` order (ties: the lower row first).
    func rowLess(_ keys: [SortKey]) -> (Int, Int) -> Bool {
        let cols = keys.map { (columns[$0.column].data, $0.descending) }
        return { a, b in
            for (c, desc) in cols {
                let r = c.compare(a, b)
                if r != 0 { return desc ? r > 0 : r < 0 }
            }
            return a < b
        }
    }

    /// The first `limit` rows of `runs` merged in `keys` order, each run a range of rows already in that order (as
    /// `sortedRows` puts them): a k-way merge over a heap of the runs' heads, ties to the lower row — so for runs that
    /// are consecutive pieces of the table, the first rows `sortedRows` gives, without sorting them all again.
    public func mergedRuns(_ runs: [Range<Int>], by keys: [SortKey], limit: Int) -> [Int] {
        let less = rowLess(keys)
        var heap: [(row: Int, end: Int)] = runs.filter { !$0.isEmpty }.map { ($0.lowerBound, $0.upperBound) }
        func sift(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, less(heap[l].row, heap[m].row) { m = l }
                if r < heap.count, less(heap[r].row, heap[m].row) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { sift(i) }
        var out: [Int] = []
        out.reserveCapacity(Swift.min(Swift.max(limit, 0), runs.reduce(0) { $0 + $1.count }))
        while out.count < limit, let top = heap.first {
            out.append(top.row)
            if top.row + 1 < top.end { heap[0].row += 1 } else { heap[0] = heap[heap.count - 1]; heap.removeLast() }
            if !heap.isEmpty { sift(0) }
        }
        return out
    }
}
