@testable import ActionSetSimple
import CASCore
import CASWire
import SeededRandom
import Testing

/// simple.summary on an MPI server merges each worker block's `Moments`; merged, they must give what one pass over the
/// whole column gives (`ColumnStats` and `Summary.shape`, the one-process reference) for any split into blocks.
@Suite("Summary moments merge")
struct MomentsMergeTests {
    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-10) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= rel * max(1, abs(a), abs(b))
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 17, 1000])
    func mergedBlocksEqualOnePass(n: Int) {
        var rng = SplitMix64(seed: UInt64(n) &+ 11)
        // a shifted, skewed column with missing values: moments about a far-off mean are where naive merges lose digits
        let values: [Double] = (0..<n).map { i in
            i % 9 == 4 ? .nan : 1e6 + Double(rng.next() % 10_000) / 7 + (i % 13 == 0 ? 500 : 0)
        }
        let data = ColumnData.double(values)
        let whole = ColumnStats(data), shape = Summary.shape(data, whole)
        for _ in 0..<20 {
            // cut into 1–4 blocks at random places (empty blocks included)
            var cuts = (0..<Int(rng.next() % 4)).map { _ in n == 0 ? 0 : Int(rng.next() % UInt64(n + 1)) }
            cuts = [0] + cuts.sorted() + [n]
            var merged = Moments()
            for k in 0..<cuts.count - 1 { merged.merge(Moments(data.slice(cuts[k]..<cuts[k + 1]))) }
            let s = merged.stats, sh = merged.shape
            #expect(s.n == whole.n && s.nmiss == whole.nmiss)
            #expect(Self.close(s.min, whole.min) && Self.close(s.max, whole.max) && Self.close(s.sum, whole.sum))
            #expect(Self.close(s.mean, whole.mean) && Self.close(s.uss, whole.uss))
            #expect(Self.close(s.css, whole.css, 1e-8) && Self.close(s.variance, whole.variance, 1e-8))
            #expect(Self.close(sh.skewness, shape.skewness, 1e-7) && Self.close(sh.kurtosis, shape.kurtosis, 1e-7), "\(cuts)")
        }
    }

    /// A partial result table (what a worker sends) reads back into the same moments.
    @Test func partialTableRoundTrip() throws {
        let m = Moments(.double([1, 2, .nan, 4, 8]))
        let t = try #require(try? Summary.partial.run(DataTable(name: "b", columns: [Column(name: "x", data: .double([1, 2, .nan, 4, 8]))]),
                                                      ["columns": .list(["x"])], KernelContext(rank: 1)))
        #expect(try Moments(partial: DataTable(binary: t.binaryEncoded()), row: 0) == m)
    }
}
