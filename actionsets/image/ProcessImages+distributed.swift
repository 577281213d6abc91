import CASCore
import CASWire
import ImageCodec

/// `image.processImages` on a distributed table (`serve --mpi`): every worker runs the steps on its own images and
/// keeps its part of the output table (`ImageKernels.process`); only counts and the skipped images' names reach the
/// controller. SLICE pipelines (which number the slices across the whole table) run on the controller.
extension ProcessImages {
    static func onWorkers(_ args: Args, _ ctx: ActionContext, _ t: CASTable, _ pipeline: [ImageStep]) async throws -> ValueDict {
        // the one-process checks, on the columns: the image column and copyVars
        _ = try ImageColumns.imageColumn(t.data, name: args[image], parameter: "image")
        _ = try carried(t.data, image: args[image], copyVars: args[copyVars])
        // the validated parameters the workers read (as `Args`), and the reference's columns (after its vars)
        var kernelArgs: ValueDict = ["columns": .list(t.data.columns.map { .string($0.name) })]
        for p in [steps.spec.name, image.spec.name, decode.spec.name, copyVars.spec.name] { kernelArgs[p] = args[p] }
        let kept = try await ctx.keptOnWorkers(t, args[table], ImageKernels.process, args: kernelArgs)
        var skipped = SkipReport()
        var rows = 0, made = 0, rowsIn = 0, dropped = 0
        for s in kept.summaries {
            guard let n = PartitionKernel.count(s, "rows"), let k = PartitionKernel.count(s, "kept"), let i = PartitionKernel.count(s, "rowsIn"),
                  let d = PartitionKernel.count(s, "dropped"), let x = PartitionKernel.count(s, "skipped"), let names = s.column("Skipped") else {
                throw ActionError(.internalError, "processImages: a worker's counts are unreadable")
            }
            rows += n; made += k; rowsIn += i; dropped += d
            skipped.add(count: x, named: (0..<s.rowCount).compactMap { names.data.value(at: $0).stringValue })
        }
        skipped.warn(ctx, "images", "could not be processed")
        var columns = kept.schema
        columns.name = t.name
        let stored = try await ctx.store(columns, kept: kept.parts, out: args[casOut], defaultName: "PROCESSED", sourceName: t.name, sourceCaslib: t.caslib)
        note(ctx, pipeline, kept: made, dropped: dropped, rowsIn: rowsIn, of: rows)
        return OutputTables.result(stored)
    }
}

/// The partition-local kernels of the image actions, for the workers of an MPI server.
public enum ImageKernels {
    public static let all: [PartitionKernel] = [process, summarize]

    /// A worker's part of summarizeImages: its images added up (`SummaryAccumulator.partial`).
    static let summarize = PartitionKernel("image.summarizeImages") { block, arguments throws(ActionError) in
        let given = Args(arguments)
        let rows = try ImageKernels.columns(block, arguments, kernel: "image.summarizeImages")
        let cells = try ImageColumns.imageColumn(rows, name: given[SummarizeImages.image], parameter: "image")
        let mean = given[SummarizeImages.meanImage]
        var acc = SummaryAccumulator(), skipped = SkipReport()
        do {
            try ImageRows.forEachChunk(cells, rows: Array(0..<rows.rowCount)) { _, bytes throws(ImageCodecError) in
                try SummarizeImages.facts(bytes, mean: mean)
            } consume: { chunk, results in
                try SummarizeImages.add(chunk, results, of: rows, to: &acc, skipped: &skipped)
            }
        } catch let e as ActionError { throw e } catch { throw ActionError(.internalError, "image.summarizeImages: \(error)") }
        return acc.partial(skipped: skipped)
    }

    /// The block's columns the controller named (`columns`: the reference's, after its vars), in that order.
    static func columns(_ block: DataTable, _ arguments: ValueDict, kernel: String) throws(ActionError) -> DataTable {
        var rows = block
        rows.columns = try PartitionKernel.columns(of: block, arguments, kernel: kernel)
        return rows
    }

    /// A worker's part of processImages: its images through the steps, kept here; the summary names the skipped
    /// images (column Skipped, the first few) and counts rows, kept images, rows made into images, LUNG_FILTER's
    /// drops and skips (attributes).
    static let process = PartitionKernel("image.processImages.process", keeping: { block, arguments, _ throws(ActionError) in
        let given = Args(arguments)
        let pipeline = try ImageStep.parse(given[ProcessImages.steps], parameter: "steps")
        let image = given[ProcessImages.image], raw = given[ProcessImages.decode], copyVars = given[ProcessImages.copyVars]
        let rows = try columns(block, arguments, kernel: "image.processImages.process")
        let cells = try ImageColumns.imageColumn(rows, name: image, parameter: "image")
        var done = ProcessImages.Processing(pipeline: pipeline, raw: raw)
        do {
            try ImageRows.forEachChunk(cells, rows: Array(0..<rows.rowCount)) { r, bytes throws(ImageCodecError) in
                try ProcessImages.Processing.make(r, bytes, pipeline, raw: raw, budget: nil)
            } consume: { chunk, results in
                try done.consume(chunk, results, of: rows)
            }
        } catch let e as ActionError { throw e } catch { throw ActionError(.internalError, "image.processImages.process: \(error)") }
        let out = try done.table(rows, image: image, copyVars: copyVars)
        var summary = DataTable(name: "Processed", columns: [Column(name: "Skipped", data: .varchar(done.skipped.named))])
        for (key, n) in [("rows", rows.rowCount), ("kept", done.kept.count), ("rowsIn", Set(done.kept).count), ("dropped", done.dropped),
                         ("skipped", done.skipped.count)] {
            summary.attributes[key] = .int(Int64(n))
        }
        return (out, summary)
    })
}
