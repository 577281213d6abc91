import CASCore
import CASWire
import ImageCodec

/// `image.fetchImages`: rows of an image table as PNG blobs, for clients and plots.
struct FetchImages: Action {
    static let name = "fetchImages"
    static let summary = """
        Fetches images as PNG blobs in the result table Images: Image (varbinary, MIMEType image/png), Label and _label_, _id_, \
        _path_ (when the table has them), then fetchVars. from/to/sortBy/where as in table.fetch.
        """
    static let table = P.table("table", "The image table.").aliases("imageTable")
    static let image = P.string("image", "The image column.", default: ImageColumns.image)
    static let from = P.int("from", "First row to return (1-based, after sorting).", default: 1, min: 1)
    static let to = P.int("to", "Last row to return (inclusive).", default: 20, min: 1)
    static let sortBy = P.sortBy()
    static let fetchVars = P.columns("fetchVars", "More columns to return.")
    static let fetchImagesVars = P.columns("fetchImagesVars", "More columns to return (DLPy's spelling; joined with fetchVars).")
    static let parameters = [table.spec, image.spec, from.spec, to.spec, sortBy.spec, fetchVars.spec, fetchImagesVars.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.filteredTable(args[table])
        let cells = try ImageColumns.imageColumn(t.data, name: args[image], parameter: "image")
        let rows = try selectedRows(t.data, args)
        var pngs: [[UInt8]?] = []
        var skipped = SkipReport()
        try await ImageRows.forEachChunk(cells, rows: rows, ctx) { _, bytes throws(ImageCodecError) in
            try asPNG(bytes)
        } consume: { rs, results in
            for (r, res) in zip(rs, results) {
                switch res {
                case .success(let b): pngs.append(b)
                case .failure(let e): pngs.append(nil); skipped.add(ImageColumns.rowName(t.data, r), ImageFileReader.reason(e))
                }
            }
        }
        skipped.warn(ctx, "images", "could not be decoded (their Image cells are missing)")
        return ["Images": .table(try resultTable(t.data, rows: rows, pngs: pngs, args))]
    }

    /// PNG cells pass through unchanged; anything else is decoded and encoded as PNG (Hounsfield units
    /// min/max scaled, the middle slice of a 3-D image).
    static func asPNG(_ bytes: [UInt8]) throws(ImageCodecError) -> [UInt8] {
        if HUVolume.isVolume(bytes) {  // a DICOM series: its middle slice
            let v = try HUVolume.decode(bytes)
            return try ImageCodec.encodePNG(v.slice(v.depth / 2, along: .axial).displayable())
        }
        switch ImageFormat.sniff(bytes) {
        case .png: return bytes
        case .raw:
            switch try RawImage.decode(bytes) {
            case .float32(let f): return try ImageCodec.encodePNG(f.displayable())
            case .int16(let hu): return try ImageCodec.encodePNG(hu.displayable())
            case .uint8: break
            }
            return try ImageCodec.encodePNG(try PixelDecoding.decode(bytes))
        default: return try ImageCodec.encodePNG(try ImageCodec.decode(bytes))
        }
    }

    static func selectedRows(_ d: DataTable, _ args: Args) throws(ActionError) -> [Int] {
        let keys = try SortItem.keys(args[sortBy], in: d)
        let order = keys.isEmpty ? Array(0..<d.rowCount) : d.sortedRows(by: keys)
        let first = args[from], last = min(args[to], d.rowCount)
        return first <= last ? Array(order[(first - 1)..<last]) : []
    }

    static func resultTable(_ d: DataTable, rows: [Int], pngs: [[UInt8]?], _ args: Args) throws(ActionError) -> DataTable {
        var cols = [Column(name: "Image", label: "Image", attributes: ImageColumns.mime(ImageFormat.png.mimeType), data: .varbinary(pngs))]
        if let l = d.column(ImageColumns.label) { cols.append(Column(name: "Label", label: "Label", data: l.data.gather(rows))) }
        var names = [ImageColumns.label, ImageColumns.id, ImageColumns.path]
        let extra = args[fetchVars] + args[fetchImagesVars]
        for (i, v) in extra.enumerated() {
            guard d.column(v) != nil else {
                throw ActionError.missingColumn(v, in: d, parameter: "fetchVars[\(i + 1)]")
            }
            names.append(v)
        }
        var seen = Set<String>()
        for n in names where seen.insert(n.lowercased()).inserted {
            if var c = d.column(n) {
                c.data = c.data.gather(rows)
                cols.append(c)
            }
        }
        return DataTable(name: "Images", label: "Images", title: "Images", columns: cols)
    }
}
