import CASCore
import CASWire
import ImageCodec

/// `image.summarizeImages`: image counts per type, size range, per-channel statistics, and
/// optionally the mean image.
struct SummarizeImages: Action {
    static let name = "summarizeImages"
    static let summary = """
        Summarizes an image table: count, images per type, min/max/mean width and height, and per-channel mean, min, max and \
        std (channel order as decoded: BGR for files, so mean1stChannel is blue). meanImage=True adds the pixel-wise mean image.
        """
    static let table = P.table("table", "The image table.").aliases("imageTable")
    static let image = P.string("image", "The image column.", default: ImageColumns.image)
    static let meanImage = P.bool("meanImage", "Also return the MeanImage table (all images must have the same size).", default: false)
    static let parameters = [table.spec, image.spec, meanImage.spec]

    /// Per-image facts gathered on the workers.
    struct Facts: Sendable {
        var type: String
        var width: Int, height: Int
        var channels: ChannelAccumulator
        var image: Image?
    }

    static let scaleOut = ScaleOut.partitionLocal

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let wantMean = args[meanImage]
        var acc = SummaryAccumulator()
        var skipped = SkipReport()
        if let t = try await ctx.distributedTable(args[table]) {
            // an MPI server's table: every worker adds up its own images (exact integer sums), merged here in block order
            _ = try ImageColumns.imageColumn(t.data, name: args[image], parameter: "image")
            let kernelArgs: ValueDict = [image.spec.name: .string(args[image]), meanImage.spec.name: .bool(args[meanImage]),
                                         "columns": .list(t.data.columns.map { .string($0.name) })]
            for p in try await ctx.onWorkers(t, args[table], ImageKernels.summarize, args: kernelArgs) {
                let (part, skips) = try SummaryAccumulator.read(p)
                try acc.merge(part)
                skipped.add(count: skips.count, named: skips.named)
            }
        } else {
            let t = try await ctx.filteredTable(args[table])
            let cells = try ImageColumns.imageColumn(t.data, name: args[image], parameter: "image")
            try await ImageRows.forEachChunk(cells, rows: Array(0..<t.data.rowCount), ctx) { _, bytes throws(ImageCodecError) in
                try facts(bytes, mean: wantMean)
            } consume: { rows, results in
                try add(rows, results, of: t.data, to: &acc, skipped: &skipped)
            }
        }
        skipped.warn(ctx, "images", "could not be decoded")
        var out: ValueDict = ["Summary": .table(acc.summaryTable(column: args[image]))]
        if wantMean, let m = acc.mean.mean() {
            out["MeanImage"] = .table(try meanImageTable(m))
        }
        return out
    }

    /// One image's facts.
    static func facts(_ bytes: [UInt8], mean: Bool) throws(ImageCodecError) -> Facts {
        let img = try PixelDecoding.decode(bytes)
        var ch = ChannelAccumulator()
        try ch.add(img)
        return Facts(type: PixelDecoding.typeName(bytes), width: img.width, height: img.height, channels: ch, image: mean ? img : nil)
    }

    /// Adds a chunk's facts in row order; an image that could not be decoded is skipped.
    static func add(_ rows: [Int], _ results: [Result<Facts, ImageCodecError>], of data: DataTable, to acc: inout SummaryAccumulator,
                    skipped: inout SkipReport) throws(ActionError) {
        for (r, res) in zip(rows, results) {
            switch res {
            case .success(let f): try acc.add(f)
            case .failure(let e): skipped.add(ImageColumns.rowName(data, r), ImageFileReader.reason(e))
            }
        }
    }

    static func meanImageTable(_ m: FloatImage) throws -> DataTable {
        let png = try ImageCodec.encodePNG(m.toImage())
        return DataTable(name: "MeanImage", label: "Mean Image", columns: [
            Column(name: "Image", label: "Mean image (rounded)", attributes: ImageColumns.mime(ImageFormat.png.mimeType), data: .varbinary([png])),
            Column(name: ImageColumns.image, label: "Mean image (float32 CLRI)", attributes: ImageColumns.mime(ImageColumns.rawMIME),
                   data: .varbinary([m.rawBytes()])),
            Column(name: "width", data: .int64([Int64(m.width)])), Column(name: "height", data: .int64([Int64(m.height)])),
        ])
    }
}
