import CASCore
import CASWire

/// The selection both sampling actions share: each stratum's rows are shuffled with the seeded
/// generator; the first round(n·samppct/100) get 1, the next round(n·samppct2/100) get 2, the rest 0.
enum Sampler {
    /// Partition codes per row (input order) for the given strata (lists of row indices).
    static func assign(strata: [[Int]], rowCount: Int, pct: Double, pct2: Double, seed: Int) -> [Int] {
        var codes = [Int](repeating: 0, count: rowCount)
        var rng = CASRandom(seed: seed)
        for rows in strata {
            var order = rows
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            let n1 = Int((Double(rows.count) * pct / 100).rounded())
            let n2 = min(rows.count - n1, Int((Double(rows.count) * pct2 / 100).rounded()))
            for (k, r) in order.enumerated() { codes[r] = k < n1 ? 1 : (k < n1 + n2 ? 2 : 0) }
        }
        return codes
    }

    /// Runs a sampling call over the given strata and writes the output table (if asked for).
    static func run(_ args: Args, _ ctx: ActionContext, strata: (DataTable) throws(ActionError) -> [(key: String, rows: [Int])],
                    groupBy: [String], freqName: String) async throws -> ValueDict {
        let pct = args[SamplingParams.samppct], pct2 = args[SamplingParams.samppct2] ?? 0
        guard pct + pct2 <= 100 else {
            throw ActionError(.parameterValue, "samppct + samppct2 must not exceed 100 (got \(pct) + \(pct2)).", parameter: "samppct2")
        }
        var spread = args[SamplingParams.table].ref
        spread.groupBy = []  // the strata columns: read on the workers
        if let t = try await ctx.distributedTable(spread) {
            return try await distributed(args, ctx, t, spread, groupBy: groupBy, freqName: freqName, pct: pct, pct2: pct2)
        }
        let t = try await ctx.filteredTable(args[SamplingParams.table].ref)
        let groups = try strata(t.data)
        let codes = assign(strata: groups.map(\.rows), rowCount: t.rowCount, pct: pct, pct2: pct2, seed: args[SamplingParams.seed])
        var results: ValueDict = [freqName: .table(frequencies(groups, codes, name: freqName))]
        if let def = SamplingParams.outDef(args) {
            let data = try output(t.data, codes: codes, def: def, groupBy: groupBy, partInd: args[SamplingParams.partInd])
            let stored = try await ctx.store(data, out: def.out, defaultName: "\(t.name)_SAMPLE", parameter: "output.casOut")
            ctx.note("Wrote \(stored.rowCount) rows to table \(stored.name) in caslib \(stored.caslib).")
            results["OutputCasTables"] = .table(.outputCasTables([stored]))
        }
        return results
    }

    /// The output: copied columns, plus the indicator (partInd) or only the sampled rows (no partInd).
    static func output(_ data: DataTable, codes: [Int], def: (out: OutTableRef, copyVars: [String]?, partIndName: String),
                       groupBy: [String], partInd: Bool) throws(ActionError) -> DataTable {
        try output(data, codes: codes, columns: outputColumns(data, def: def, groupBy: groupBy, partInd: partInd),
                   partIndName: partInd ? def.partIndName : nil)
    }

    /// The input columns the output copies (`output.copyVars`, the strata first; all by default).
    static func outputColumns(_ data: DataTable, def: (out: OutTableRef, copyVars: [String]?, partIndName: String),
                              groupBy: [String], partInd: Bool) throws(ActionError) -> [String] {
        var names = def.copyVars.map { groupBy + $0.filter { v in !groupBy.contains { $0.lowercased() == v.lowercased() } } }
            ?? data.columns.map(\.name)
        if partInd, def.copyVars != nil, let named = names.first(where: { $0.lowercased() == def.partIndName.lowercased() }) {
            throw ActionError(.parameterValue, "output.partIndName '\(def.partIndName)' would replace the copied column '\(named)' "
                              + "(output.copyVars, table.groupBy); name the indicator otherwise.", parameter: "output.partIndName")
        }
        // copying every column: an indicator of an earlier sample (same name) is replaced by this one
        if partInd { names.removeAll { $0.lowercased() == def.partIndName.lowercased() } }
        for n in names where data.column(n) == nil {
            throw ActionError(.notFound, "Column '\(n)' (output.copyVars) does not exist in the input table.", parameter: "output.copyVars")
        }
        return names
    }

    /// The output of `columns` (`outputColumns`): with `partIndName`, every row and the indicator; else the sampled rows.
    static func output(_ data: DataTable, codes: [Int], columns names: [String], partIndName: String?) throws(ActionError) -> DataTable {
        var cols: [Column] = []
        for n in names {
            guard let c = data.column(n) else { throw ActionError(.internalError, "sampling: no column \(n) in the rows") }
            cols.append(c)
        }
        var out = DataTable(name: data.name, columns: cols)
        if let partIndName {
            out.columns.append(Column(name: partIndName, label: "Partition Indicator", data: .double(codes.map(Double.init))))
            return out
        }
        return out.gather(codes.indices.filter { codes[$0] == 1 })
    }

    /// Per-stratum counts: rows, sampled (1) and, with samppct2, partition 2.
    static func frequencies(_ groups: [(key: String, rows: [Int])], _ codes: [Int], name: String) -> DataTable {
        .result(name, label: "Frequencies", columns: [("Stratum", .varchar), ("NObs", .double), ("NSamp", .double), ("NSamp2", .double)],
                rows: groups.map { g in
                    [.string(g.key), .double(Double(g.rows.count)), .double(Double(g.rows.filter { codes[$0] == 1 }.count)),
                     .double(Double(g.rows.filter { codes[$0] == 2 }.count))]
                })
    }
}
