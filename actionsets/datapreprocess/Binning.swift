import CASCore
import CASWire

/// `datapreprocess.binning`: unsupervised discretization of numeric columns. BUCKET bins split each
/// column's range into equal widths (the last bin holds the maximum); QUANTILE bins hold about equal
/// numbers of rows, equal values always in one bin. `BinDetails` describes the bins; with `casOut` the
/// table gets `BIN_<column>` (the bin's number, 1-based; 0 for a missing value) after the `copyVars`.
struct Binning: Action {
    static let name = "binning"
    static let summary = "Bins numeric columns into equal-width (BUCKET) or equal-frequency (QUANTILE) bins; writes BIN_<column> with casOut."
    static let table = P.table()
    static let inputs = P.columns("inputs", "Numeric columns to bin; all numeric columns when omitted.")
    static let method = P.string("method", "BUCKET: equal widths; QUANTILE: about equal numbers of rows.", default: "BUCKET", allowed: ["BUCKET", "QUANTILE"])
    static let nBinsArray = P.intList("nBinsArray", "Bins per column: one number for all, or one per input (default 10).", min: 1,
                                      max: Bins.maxBins)
    static let copyVars = P.columns("copyVars", "Columns copied to casOut before the BIN_ columns.")
    static let casOut = P.outTable("casOut", "The binned table (BIN_<column> holds each row's bin).")
    static let parameters = [table.spec, inputs.spec, method.spec, nBinsArray.spec, copyVars.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let ref = args[table]
        guard ref.groupBy.isEmpty else {
            throw ActionError(.parameterValue, "binning does not take table.groupBy in caslite; bin each group's rows with a where filter.", parameter: "table.groupBy")
        }
        let t = try await ctx.filteredTable(ref)
        let cols = try InputColumns.resolve(args[inputs], in: t.data, defaultFilter: { $0.type.isNumeric }) { c in
            c.type.isNumeric ? nil : "Column '\(c.name)' is \(c.type.rawValue); binning needs numeric columns."
        }
        let counts = args[nBinsArray]
        guard counts.count <= 1 || counts.count == cols.count else {
            throw ActionError(.parameterValue, "nBinsArray has \(counts.count) numbers for \(cols.count) inputs; give one, or one per input.", parameter: "nBinsArray")
        }
        let nBins = cols.indices.map { counts.isEmpty ? 10 : counts[counts.count == 1 ? 0 : $0] }
        try ctx.reserve(nBins.reduce(0, +) * Histogram.bytesPerRow + (args.has(casOut) ? t.rowCount * 8 * cols.count : 0), for: "binning")
        let quantile = args[method] == "QUANTILE"
        let binned = try await ctx.cpu { try zip(cols, nBins).map { c, k in try assign(c.data, bins: k, quantile: quantile) } }
        var details: [[Value]] = []
        for (c, ids) in zip(cols, binned) { details += detailRows(c, ids, bins: ids.bounds) }
        var results: ValueDict = ["BinDetails": .table(.result("BinDetails", label: "Bin Details", columns: [
            ("Variable", .varchar), ("BinId", .int32), ("BinLowerBnd", .double), ("BinUpperBnd", .double), ("BinWidth", .double),
            ("NInBin", .int64), ("Mean", .double), ("Min", .double), ("Max", .double),
        ], rows: details))]
        if args.has(casOut) {
            var out = DataTable(name: t.name)
            for (i, n) in args[copyVars].enumerated() {
                guard let c = t.data.column(n) else { throw ActionError.missingColumn(n, in: t.data, parameter: "copyVars[\(i + 1)]") }
                out.columns.append(c)
            }
            for (c, ids) in zip(cols, binned) { out.columns.append(Column(name: "BIN_\(c.name)", data: .double(ids.ids.map(Double.init)))) }
            let stored = try await ctx.store(out, out: args[casOut], defaultName: "\(t.name)_binned")
            results["OutputCasTables"] = .table(.outputCasTables([stored]))
        }
        return results
    }

    /// Each row's bin (0: missing) and each bin's bounds.
    struct Assignment: Sendable {
        var ids: [Int]
        var bounds: [(Double, Double)]
    }

    static func assign(_ data: ColumnData, bins k: Int, quantile: Bool) throws(ActionError) -> Assignment {
        let xs = (0..<data.count).map { data.double(at: $0).flatMap { $0.isFinite ? $0 : nil } }
        let present = xs.compactMap { $0 }
        guard let lo = present.min(), let hi = present.max() else { return Assignment(ids: xs.map { _ in 0 }, bounds: []) }
        if !quantile {
            // the histogram's bins (`Bins.make`: the same rule, and ranges past a double refused)
            guard let b = try Bins.make(min: lo, max: hi, n: present.count, nBins: k, binWidth: nil) else { return Assignment(ids: [], bounds: []) }
            return Assignment(ids: xs.map { $0.map { b.index($0) + 1 } ?? 0 }, bounds: (0..<k).map { (b.lowerBound($0), b.lowerBound($0 + 1)) })
        }
        // QUANTILE: the i-th smallest value goes to bin ⌊i·k/n⌋ + 1, except that equal values share the bin of the first of them
        let order = present.indices.sorted { present[$0] < present[$1] }
        var binOfValue: [Double: Int] = [:]
        for (rank, i) in order.enumerated() where binOfValue[present[i]] == nil { binOfValue[present[i]] = rank * k / present.count + 1 }
        let used = Set(binOfValue.values).sorted()
        let renumber = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0 + 1) })
        let ids = xs.map { $0.map { renumber[binOfValue[$0]!]! } ?? 0 }
        var bounds = Array(repeating: (Double.infinity, -Double.infinity), count: used.count)
        for (x, id) in zip(xs, ids) where id > 0 { bounds[id - 1] = (Swift.min(bounds[id - 1].0, x!), Swift.max(bounds[id - 1].1, x!)) }
        return Assignment(ids: ids, bounds: bounds)
    }

    static func detailRows(_ c: Column, _ a: Assignment, bins: [(Double, Double)]) -> [[Value]] {
        var n = Array(repeating: 0, count: bins.count), sum = Array(repeating: 0.0, count: bins.count)
        var lo = Array(repeating: Double.infinity, count: bins.count), hi = Array(repeating: -Double.infinity, count: bins.count)
        for (r, id) in a.ids.enumerated() where id > 0 {
            let x = c.data.double(at: r)!
            n[id - 1] += 1; sum[id - 1] += x; lo[id - 1] = Swift.min(lo[id - 1], x); hi[id - 1] = Swift.max(hi[id - 1], x)
        }
        return bins.indices.map { i in
            [.string(c.name), .int(Int64(i + 1)), .double(bins[i].0), .double(bins[i].1), .double(bins[i].1 - bins[i].0), .int(Int64(n[i])),
             .double(n[i] > 0 ? sum[i] / Double(n[i]) : .nan), .double(n[i] > 0 ? lo[i] : .nan), .double(n[i] > 0 ? hi[i] : .nan)]
        }
    }
}
