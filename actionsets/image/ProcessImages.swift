import CASCore
import CASWire
import ImageCodec

/// `image.processImages`: applies a list of steps (RESIZE, NORMALIZE, …) to every image.
struct ProcessImages: Action {
    static let name = "processImages"
    static let summary = """
        Applies steps (SLICE, LUNG_FILTER, WINDOW, RESIZE, NORMALIZE, CONVERT_COLOR, CROP, CENTER_CROP, FLIP, ROTATE, THRESHOLD, HIST_EQUALIZATION, MUTATIONS) to every image. \
        Encoded cells are decoded on read to BGR; DICOM cells (Hounsfield units) need WINDOW first, DICOM series (3-D) SLICE then WINDOW. The output image column (named as the input's, _image_ by default) holds CLRI raw pixels (uint8; float32 after NORMALIZE MEAN_STD) so \
        training reads them without decoding; decode=False re-encodes as PNG. All other columns are carried through.
        """
    static let table = P.table("table", "The image table.").aliases("imageTable")
    static let casOut = P.outTable("casOut", "The output image table.", required: true)
    static let image = P.string("image", "The image column.", default: ImageColumns.image)
    static let steps = P.groupList("steps", "Steps in order, e.g. {{step={stepType=\"RESIZE\", width=224, height=224}}, {step={stepType=\"NORMALIZE\", type=\"MINMAX\", alpha=0, beta=255}}}.",
                                   ImageStep.Item.self).aliases("imageFunctions")
    static let copyVars = P.stringList("copyVars", "Columns to carry through; all columns when omitted (_label_, _id_ and _path_ are always kept).")
    static let decode = P.bool("decode", "True stores CLRI raw pixels (docs/images.md §Storage); False re-encodes each image as PNG.", default: true)
    static let parameters = [table.spec, casOut.spec, image.spec, steps.spec, copyVars.spec, decode.spec]

    static let scaleOut = ScaleOut.outputOnWorkers

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let pipeline = try ImageStep.parse(args[steps], parameter: "steps")
        if pipeline.first?.isSlice != true, let spread = try await ctx.distributedTable(args[table]) {
            return try await onWorkers(args, ctx, spread, pipeline)
        }
        let t = try await ctx.filteredTable(args[table])
        let cells = try ImageColumns.imageColumn(t.data, name: args[image], parameter: "image")
        var done = Processing(pipeline: pipeline, raw: args[decode])
        let budget = ImageRows.Budget(ctx)
        let (steps, raw) = (pipeline, args[decode])
        try await ImageRows.forEachChunk(cells, rows: Array(0..<t.data.rowCount), ctx, budget: budget) { r, bytes throws(ImageCodecError) in
            try Processing.make(r, bytes, steps, raw: raw, budget: budget)
        } consume: { rows, results in
            try done.consume(rows, results, of: t.data)
        }
        done.skipped.warn(ctx, "images", "could not be processed")
        let data = try done.table(t.data, image: args[image], copyVars: args[copyVars])
        let stored = try await ctx.store(data, out: args[casOut], defaultName: "PROCESSED", sourceName: t.name, sourceCaslib: t.caslib)
        note(ctx, pipeline, kept: done.kept.count, dropped: done.dropped, rowsIn: Set(done.kept).count, of: t.data.rowCount)
        return OutputTables.result(stored)
    }

    /// The NOTEs of a finished call: LUNG_FILTER's share, and how many images (slices) were processed.
    static func note(_ ctx: ActionContext, _ pipeline: [ImageStep], kept: Int, dropped: Int, rowsIn: Int, of rows: Int) {
        if pipeline.contains(where: { $0.title == "LUNG_FILTER" }) {
            ctx.note("LUNG_FILTER kept \(kept) of \(kept + dropped) \(pipeline.first?.isSlice == true ? "slices" : "images").")
        }
        ctx.note("\(rowsIn) of \(rows) images were processed successfully\(kept == rowsIn ? "" : " (\(kept) slices)").")
    }

    /// The processed images of a table (or of a worker's block), chunk by chunk.
    struct Processing {
        let pipeline: [ImageStep]
        let raw: Bool
        /// The input row of every output image (a SLICE makes several of one row), the images, their slice numbers.
        var kept: [Int] = [], images: [[UInt8]?] = [], sliceIndex: [Int64?] = [], slicePosition: [Double] = []
        var skipped = SkipReport()
        var dropped = 0  // by LUNG_FILTER

        /// One image through the pipeline: the images it makes (encoded, with their slice numbers) and how many
        /// LUNG_FILTER dropped. Every intermediate image is reserved before it is made, the result before it is kept.
        static func make(_ r: Int, _ bytes: [UInt8], _ pipeline: [ImageStep], raw: Bool,
                         budget: ImageRows.Budget?) throws(ImageCodecError) -> ([([UInt8], Int?, Double?)], Int) {
            var working = 0
            defer { budget?.done(working) }
            let made = try ImageStep.runAll(pipeline, on: try PixelDecoding.stepInput(bytes)) { (n) throws(ImageCodecError) in
                try budget?.reserve(n, for: "Processing image \(r + 1)")
                working &+= n
            }
            let images = try made.made.map { (m) throws(ImageCodecError) -> ([UInt8], Int?, Double?) in
                let encoded = try encode(m.output, raw: raw)
                try budget?.reserve(encoded.count, for: "The processed images", kept: true)
                return (encoded, m.sliceIndex, m.slicePosition)
            }
            return (images, made.dropped)
        }

        mutating func consume(_ rows: [Int], _ results: [Result<([([UInt8], Int?, Double?)], Int), ImageCodecError>], of data: DataTable) throws(ActionError) {
            for (r, res) in zip(rows, results) {
                switch res {
                case .success(let (made, d)):
                    dropped += d
                    for (b, i, p) in made {
                        kept.append(r); images.append(b); sliceIndex.append(i.map(Int64.init)); slicePosition.append(p ?? .nan)
                    }
                case .failure(let e) where e.code == .tooLarge:   // the asked-for size is impossible: an error, never a smaller image
                    throw ActionError(.parameterValue, "\(e.message) (image \(ImageColumns.rowName(data, r))).", parameter: "steps")
                case .failure(let e): skipped.add(ImageColumns.rowName(data, r), ImageFileReader.reason(e))
                }
            }
        }

        /// The output table: the processed image column first (named as the input's), then the carried columns.
        func table(_ data: DataTable, image: String, copyVars: [String]) throws(ActionError) -> DataTable {
            var out = try carried(data, image: image, copyVars: copyVars).gather(kept)
            let mime = raw ? ImageColumns.rawMIME : ImageFormat.png.mimeType
            // the processed image keeps its column's name (DLPy processes a `labels` mask column and reads `labels` back)
            let name = data.column(image)?.name ?? ImageColumns.image
            out.columns.insert(Column(name: name, label: "Image", attributes: ImageColumns.mime(mime), data: .varbinary(images)), at: 0)
            if pipeline.first?.isSlice == true { sliceColumns(&out, source: data, kept: kept, index: sliceIndex, position: slicePosition) }
            return out
        }
    }

    /// SLICE output, as augmentImages numbers its patches: `_id_` 1…N (one per slice), the series' `_id_`
    /// as `_parentId_`, then the slice's index and position.
    static func sliceColumns(_ data: inout DataTable, source: DataTable, kept: [Int], index: [Int64?], position: [Double]) {
        let parents = kept.map { r in source.column(ImageColumns.id)?.data.double(at: r).map { Int64($0) } ?? Int64(r + 1) }
        data.columns.removeAll { [ImageColumns.id, ImageColumns.parentId].map { $0.lowercased() }.contains($0.name.lowercased()) }
        data.columns.insert(Column(name: ImageColumns.id, label: "Image ID", data: .int64((0..<kept.count).map { Int64($0 + 1) })), at: 1)
        data.columns.insert(Column(name: ImageColumns.parentId, label: "Source image ID (the 3-D image)", data: .int64(parents)), at: 2)
        data.columns.append(Column(name: "_sliceIndex_", label: "Slice index (0-based, along the SLICE axis)", data: .int64(index)))
        data.columns.append(Column(name: "_slicePosition_", label: "Slice distance from the first slice (mm)", data: .double(position)))
    }

    static func encode(_ out: ImageStep.Output, raw: Bool) throws(ImageCodecError) -> [UInt8] {
        switch out {
        case .uint8(let img): return raw ? img.rawBytes() : try ImageCodec.encodePNG(img)
        case .float32(let f): return raw ? f.rawBytes() : try ImageCodec.encodePNG(f.displayable())
        }
    }

    /// The non-image columns to carry: `copyVars` (plus _label_, _id_, _path_), or all.
    static func carried(_ t: DataTable, image: String, copyVars: [String]) throws(ActionError) -> DataTable {
        var d = t
        let always = [ImageColumns.label, ImageColumns.id, ImageColumns.path]
        let wanted = Set((copyVars + always).map { $0.lowercased() })
        for (i, v) in copyVars.enumerated() where t.column(v) == nil {
            throw ActionError.missingColumn(v, in: t, parameter: "copyVars[\(i + 1)]")
        }
        d.columns = t.columns.filter { c in
            c.name.lowercased() != image.lowercased() && (copyVars.isEmpty || wanted.contains(c.name.lowercased()))
        }
        return d
    }
}
