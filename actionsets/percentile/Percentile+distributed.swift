import CASCore
import CASWire

/// Exact order statistics of a distributed table's numeric columns (`serve --mpi`) in two rounds, without moving the
/// columns to the controller:
/// 1. every worker sorts its block's values of each column and sends its count and a sample — the values at every
///    `step`-th position, its first and its last (`sample`);
/// 2. for the value of global rank r the samples bound the count of values ≤ x on each worker (at least the sampled
///    position + 1 below a sample ≤ x, at most the position of the first sample > x), so the controller picks the
///    largest sampled value `lo` with fewer than r values ≤ it for certain and the smallest `hi` with at least r;
///    every worker sends its count of values ≤ `lo` and its values in (lo, hi] (`window`), and the value of rank r is
///    the (r − count ≤ lo)-th of those, sorted. About `samples` values per worker and rank cross the network.
enum SpreadPercentiles {
    static let samples = 256
    /// Percentiles a call may ask of the workers (each needs up to two windows per column); more gather the rows.
    static let maxValues = 100

    /// The sampled values of one column over every block, ascending (`candidates`), and for each the bounds on how
    /// many values ≤ it the blocks hold: at least (`l`) — on each block the last sampled position with a value ≤ it,
    /// plus one — and at most (`u`) — the first sampled position with a value above it, else the block's count. Both
    /// grow with the value. Each block's samples are in position order, so their values ascend: binary searches.
    static func bounds(_ points: [[(Int, Double)]], _ counts: [Int]) -> (l: [Int], u: [Int], candidates: [Double]) {
        let candidates = Array(Set(points.flatMap { $0.map(\.1) })).sorted()
        var l = [Int](repeating: 0, count: candidates.count), u = l
        for (block, n) in zip(points, counts) {
            for (c, x) in candidates.enumerated() {
                let j = firstIndex(block.count) { block[$0].1 > x }     // samples with a value ≤ x
                l[c] += j > 0 ? block[j - 1].0 + 1 : 0
                u[c] += j < block.count ? block[j].0 : n
            }
        }
        return (l, u, candidates)
    }

    /// The first index in 0..<count where `isPast` holds (`count` when none), for a predicate false then true.
    static func firstIndex(_ count: Int, _ isPast: (Int) -> Bool) -> Int {
        var (a, z) = (0, count)
        while a < z { let m = (a + z) / 2; if isPast(m) { z = m } else { a = m + 1 } }
        return a
    }

    /// Per column: how many values it has (not missing) and the values of the 0-based ranks `ranks(count)` names.
    static func select(_ t: CASTable, _ ref: TableRef, _ cols: [Column], ranks: (Int) -> [Int],
                       _ ctx: ActionContext) async throws(ActionError) -> [(count: Int, value: [Int: Double])] {
        var sampling = PartitionKernel.arguments(columns: cols)
        sampling["samples"] = .int(Int64(samples))
        let sampled = try await ctx.onWorkers(t, ref, PercentileKernels.sample, args: sampling)
        // per column, per block: its count and its (position, value) samples in order
        var counts = [[Int]](repeating: [], count: cols.count), points = [[[(Int, Double)]]](repeating: [], count: cols.count)
        for p in sampled {
            for i in cols.indices { counts[i].append(0); points[i].append([]) }
            for r in 0..<p.rowCount {
                guard let i = p.columns[0].data.value(at: r).intValue.map(Int.init), cols.indices.contains(i),
                      let at = p.columns[1].data.value(at: r).intValue.map(Int.init), let v = p.columns[2].data.double(at: r) else {
                    throw ActionError(.internalError, "a worker's percentile sample has a bad row")
                }
                if at < 0 { counts[i][counts[i].count - 1] = Int(v) } else { points[i][points[i].count - 1].append((at, v)) }
            }
        }
        // the window of every rank asked for, off the cooperative pool (thousands of ranks × a few hundred samples)
        let wanted = counts.map { Set(ranks($0.reduce(0, +))).sorted() }
        let (pointsNow, countsNow, names) = (points, counts, cols.map(\.name))
        let windows: [(column: Int, rank: Int, lo: Double?, hi: Double)]
        do {
            windows = try await ctx.cpu { () throws -> [(column: Int, rank: Int, lo: Double?, hi: Double)] in
                var out: [(column: Int, rank: Int, lo: Double?, hi: Double)] = []
                for i in names.indices {
                    try ctx.checkCancellation()
                    let (l, u, candidates) = bounds(pointsNow[i], countsNow[i])
                    for k in wanted[i] {
                        let r = k + 1
                        // hi: the first candidate with at least r values ≤ it for certain; lo: the last with fewer than r
                        let h = firstIndex(candidates.count) { l[$0] >= r }, below = firstIndex(candidates.count) { u[$0] >= r }
                        guard h < candidates.count else {
                            throw ActionError(.internalError, "percentile: the workers' samples of \(names[i]) do not reach rank \(r)")
                        }
                        out.append((i, k, below > 0 ? candidates[below - 1] : nil, candidates[h]))
                    }
                }
                return out
            }
        } catch let e as ActionError { throw e } catch { throw ActionError(.internalError, "percentile: \(error)") }
        var out = counts.map { (count: $0.reduce(0, +), value: [Int: Double]()) }
        guard !windows.isEmpty else { return out }
        var windowArgs = PartitionKernel.arguments(columns: cols)
        // four numbers a window: the column, whether it has a lower end, its ends' bits
        windowArgs["windows"] = .list(windows.flatMap { w -> [Value] in
            [.int(Int64(w.column)), .int(w.lo == nil ? 0 : 1), .int(Int64(bitPattern: (w.lo ?? 0).bitPattern)), .int(Int64(bitPattern: w.hi.bitPattern))]
        })
        let parts = try await ctx.onWorkers(t, ref, PercentileKernels.window, args: windowArgs)
        var below = [Int](repeating: 0, count: windows.count), inside = [[Double]](repeating: [], count: windows.count)
        for p in parts {
            for r in 0..<p.rowCount {
                guard let j = p.columns[0].data.value(at: r).intValue.map(Int.init), windows.indices.contains(j) else {
                    throw ActionError(.internalError, "a worker's percentile window has a bad row")
                }
                if let n = p.columns[1].data.value(at: r).intValue { below[j] += Int(n) } else if let v = p.columns[2].data.double(at: r) { inside[j].append(v) }
            }
        }
        for (j, w) in windows.enumerated() {
            let sorted = inside[j].sorted(), at = w.rank - below[j]
            guard sorted.indices.contains(at) else {
                throw ActionError(.internalError, "percentile: rank \(w.rank + 1) of \(cols[w.column].name) is not in the window the workers sent")
            }
            out[w.column].value[w.rank] = sorted[at]
        }
        return out
    }
}

/// The partition-local kernels of the percentile action, for the workers of an MPI server.
public enum PercentileKernels {
    public static let all: [PartitionKernel] = [sample, window]

    /// A block's values of a column (not missing).
    static func values(_ c: Column) -> [Double] { (0..<c.data.count).compactMap { c.data.double(at: $0) } }

    /// Per named column (Column = its index): its count (Index −1, Value = the count), then the values at every
    /// step-th sorted position, the first and the last (Index = the position).
    static let sample = PartitionKernel("percentile.sample") { block, arguments throws(ActionError) in
        let per = max(1, PartitionKernel.count(arguments, "samples") ?? SpreadPercentiles.samples)
        var b = TableBuilder(name: "Sample", columns: [("Column", .int64), ("Index", .int64), ("Value", .double)])
        for (i, c) in try PartitionKernel.columns(of: block, arguments, kernel: "percentile.sample").enumerated() {
            let sorted = values(c).sorted(), n = sorted.count
            b.append([.int(Int64(i)), .int(-1), .double(Double(n))])
            guard n > 0 else { continue }
            let step = max(1, n / per)
            var at = Array(stride(from: 0, to: n, by: step))
            if at.last != n - 1 { at.append(n - 1) }
            for k in at { b.append([.int(Int64(i)), .int(Int64(k)), .double(sorted[k])]) }
        }
        return b.table
    }

    /// Per window (Window = its index): the block's count of values ≤ lo (Count), then its values in (lo, hi] (Value).
    static let window = PartitionKernel("percentile.window") { block, arguments throws(ActionError) in
        let cols = try PartitionKernel.columns(of: block, arguments, kernel: "percentile.window")
        guard case .list(let list)? = arguments["windows"] else { throw ActionError(.internalError, "percentile.window: no windows") }
        let numbers = list.compactMap(\.intValue)
        guard numbers.count == list.count, numbers.count % 4 == 0 else { throw ActionError(.internalError, "percentile.window: bad windows") }
        var b = TableBuilder(name: "Window", columns: [("Window", .int64), ("Count", .int64), ("Value", .double)])
        var sorted = [[Double]?](repeating: nil, count: cols.count)
        for j in 0..<(numbers.count / 4) {
            let w = numbers[(4 * j)..<(4 * j + 4)].map { $0 }
            guard cols.indices.contains(Int(w[0])) else { throw ActionError(.internalError, "percentile.window: a bad window") }
            let i = Int(w[0]), lo = w[1] == 0 ? nil : Double(bitPattern: UInt64(bitPattern: w[2])), hi = Double(bitPattern: UInt64(bitPattern: w[3]))
            // the column's values sorted once; each window two binary searches
            if sorted[i] == nil { sorted[i] = values(cols[i]).sorted() }
            let v = sorted[i]!
            func above(_ x: Double) -> Int { SpreadPercentiles.firstIndex(v.count) { v[$0] > x } }   // the first position whose value is > x
            let below = lo.map(above) ?? 0
            for k in below..<max(below, above(hi)) { b.append([.int(Int64(j)), .null, .double(v[k])]) }
            b.append([.int(Int64(j)), .int(Int64(below)), .null])
        }
        return b.table
    }
}
