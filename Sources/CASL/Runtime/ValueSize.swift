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
}
