import CASCore
import CASWire

/// `sampling.srs` / `sampling.stratified` on a distributed table (`serve --mpi`): the same sample as one process for
/// the same seed and rows. The workers count each block's rows per stratum (`SamplingKernels.strata`); the controller
/// numbers each stratum's rows as one process does (block order, then row order inside the block), draws every
/// row's partition code with the seeded generator exactly as `Sampler.assign` does, and sends each block its rows'
/// codes; the workers write the output from their own rows and keep it (`SamplingKernels.output`): no row comes to
/// the controller.
extension Sampler {
    static func distributed(_ args: Args, _ ctx: ActionContext, _ t: CASTable, _ ref: TableRef, groupBy: [String], freqName: String,
                            pct: Double, pct2: Double) async throws -> ValueDict {
        if !groupBy.isEmpty { _ = try Stratified.strata(t.data, groupBy) }  // the strata columns exist (the same error as one process)
        let def = SamplingParams.outDef(args)
        let columns = try def.map { d throws(ActionError) in try outputColumns(t.data, def: d, groupBy: groupBy, partInd: args[SamplingParams.partInd]) }
        let counted = try await ctx.onWorkers(t, ref, SamplingKernels.strata, args: ["groupBy": .list(groupBy.map { .string($0) })])
        // per stratum (in key order, as one process sorts them): its rows in each block
        var perBlock: [String: [Int]] = [:]
        for (b, table) in counted.enumerated() {
            guard let keys = table.column("Stratum"), let counts = table.column("Count") else {
                throw ActionError(.internalError, "sampling: a worker's strata have no Stratum/Count columns")
            }
            for r in 0..<table.rowCount {
                guard let key = keys.data.value(at: r).stringValue, let n = counts.data.value(at: r).intValue, n >= 0 else {
                    throw ActionError(.internalError, "sampling: a worker's stratum count is unreadable")
                }
                perBlock[key, default: [Int](repeating: 0, count: counted.count)][b] += Int(n)
            }
        }
        let keys = perBlock.keys.sorted()
        // one process's strata: stratum s's rows numbered from its offset, block after block
        var groups: [(key: String, rows: [Int])] = [], total = 0
        for k in keys {
            let n = perBlock[k]!.reduce(0, +)
            groups.append((k, Array(total..<(total + n))))
            total += n
        }
        let codes = assign(strata: groups.map(\.rows), rowCount: total, pct: pct, pct2: pct2, seed: args[SamplingParams.seed])
        var results: ValueDict = [freqName: .table(frequencies(groups, codes, name: freqName))]
        guard let def, let columns else { return results }
        // block b's codes: each of its strata in key order, that stratum's rows of the block in row order
        var payloads = [[UInt8]](repeating: [], count: counted.count)
        for (s, k) in keys.enumerated() {
            var at = groups[s].rows.first ?? 0
            for (b, n) in perBlock[k]!.enumerated() {
                payloads[b] += codes[at..<(at + n)].map { UInt8($0) }
                at += n
            }
        }
        var kernelArgs: ValueDict = ["groupBy": .list(groupBy.map { .string($0) }), "columns": .list(columns.map { .string($0) })]
        if args[SamplingParams.partInd] { kernelArgs["partIndName"] = .string(def.partIndName) }
        let kept = try await ctx.keptOnWorkers(t, ref, SamplingKernels.output, args: kernelArgs, payloads: payloads)
        var schema = kept.schema
        schema.name = t.data.name
        let stored = try await ctx.store(schema, kept: kept.parts, out: def.out, defaultName: "\(t.name)_SAMPLE", parameter: "output.casOut")
        ctx.note("Wrote \(stored.rowCount) rows to table \(stored.name) in caslib \(stored.caslib).")
        results["OutputCasTables"] = .table(.outputCasTables([stored]))
        return results
    }

    /// A block's strata: its rows per level combination of `groupBy` in key order; without `groupBy` one stratum, ALL.
    static func strata(of block: DataTable, groupBy: [String]) throws(ActionError) -> [(key: String, rows: [Int])] {
        groupBy.isEmpty ? [(key: "ALL", rows: Array(0..<block.rowCount))] : try Stratified.strata(block, groupBy)
    }
}

/// The partition-local kernels of the sampling actions, for the workers of an MPI server.
public enum SamplingKernels {
    public static let all: [PartitionKernel] = [strata, output]

    static func groupBy(_ arguments: ValueDict) -> [String] {
        guard case .list(let names)? = arguments["groupBy"] else { return [] }
        return names.compactMap(\.stringValue)
    }

    /// A block's rows per stratum: Stratum, Count, in key order.
    static let strata = PartitionKernel("sampling.strata") { block, arguments throws(ActionError) in
        var b = TableBuilder(name: "Strata", columns: [("Stratum", .varchar), ("Count", .int64)])
        for s in try Sampler.strata(of: block, groupBy: groupBy(arguments)) { b.append([.string(s.key), .int(Int64(s.rows.count))]) }
        return b.table
    }

    /// A block's part of the output: the payload holds a partition code per row, strata in key order and each
    /// stratum's rows in row order (as `strata` counted them); kept on the worker.
    static let output = PartitionKernel("sampling.output", keeping: { block, arguments, context throws(ActionError) in
        guard case .list(let names)? = arguments["columns"] else { throw ActionError(.internalError, "sampling.output: no columns named") }
        var codes = [Int](repeating: 0, count: block.rowCount), at = 0
        for s in try Sampler.strata(of: block, groupBy: groupBy(arguments)) {
            guard context.payload.count - at >= s.rows.count else { throw ActionError(.internalError, "sampling.output: fewer codes than rows") }
            for r in s.rows { codes[r] = Int(context.payload[at]); at += 1 }
        }
        guard at == context.payload.count else { throw ActionError(.internalError, "sampling.output: more codes than rows") }
        let out = try Sampler.output(block, codes: codes, columns: names.compactMap(\.stringValue), partIndName: PartitionKernel.text(arguments, "partIndName"))
        var counts = TableBuilder(name: "Written", columns: [("Rows", .int64)])
        counts.append([.int(Int64(out.rowCount))])
        return (out, counts.table)
    })
}
