import CASWire

/// Measures how deep and how large a value is, stopping early once a limit is passed.
enum ValueSize {
    /// Whether `v` nests at most `depth` levels and holds at most `elements` elements.
    static func fits(_ v: Value, depth: Int, elements: Int) -> Bool {
        var budget = elements
        return fits(v, depth: depth, budget: &budget)
    }

    private static func fits(_ v: Value, depth: Int, budget: inout Int) -> Bool {
        switch v {
        case .list(let items):
            guard depth > 0 else { return false }
            budget -= items.count
            if budget < 0 { return false }
            for x in items where !fits(x, depth: depth - 1, budget: &budget) { return false }
            return true
        case .dict(let d):
            guard depth > 0 else { return false }
            budget -= d.count
            if budget < 0 { return false }
            for (_, x) in d where !fits(x, depth: depth - 1, budget: &budget) { return false }
            return true
        default:
            return true
        }
    }

    /// Overhead counted for every value, list element and dictionary entry.
    static let overhead = 16

    /// Approximate bytes of `v` (see `InterpreterLimits.maxValueBytes`), counting stops once past `cap`
    /// (the result is then some number above `cap`).
    static func bytes(_ v: Value, cap: Int) -> Int {
        var total = 0
        add(v, &total, cap)
        return total
    }

    private static func add(_ v: Value, _ total: inout Int, _ cap: Int) {
        total += overhead
        guard total <= cap else { return }
        switch v {
        case .string(let s): total += s.utf8.count
        case .blob(let b): total += b.count
        case .list(let items): for x in items where total <= cap { add(x, &total, cap) }
        case .dict(let d): for (k, x) in d where total <= cap { total += k.utf8.count; add(x, &total, cap) }
        case .table(let t):
            for c in t.columns where total <= cap {
                switch c.data {
                case .varchar(let a): total += a.reduce(0) { $0 + overhead + ($1?.utf8.count ?? 0) }
                case .varbinary(let a): total += a.reduce(0) { $0 + overhead + ($1?.count ?? 0) }
                default: total += 8 * c.data.count
                }
            }
        default: break
        }
    }
}
