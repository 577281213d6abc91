import CASCore
import CASWire
import ImageCodec

/// `image.extractDetectedObjects`: draws the objects of an object-detection table (DLPy's layout:
/// `_nObjects_`, then per object `_Object<i>_` — the class — and its box, `_Object<i>_x/_y/_width/_height`
/// (YOLO: center and size relative to the image) or `_Object<i>_xmin/_ymin/_xmax/_ymax` (COCO: pixels of the
/// image as stored)) onto its images, as DLPy's `display_object_detections` shows them: one PNG per image
/// that has an object, a rectangle per object (at most `maxObjects`) in its class's color.
struct ExtractDetectedObjects: Action {
    static let name = "extractDetectedObjects"
    static let summary = "Draws the bounding boxes of an object-detection table (_nObjects_, _Object<i>_ and its coordinates) onto its images (PNG)."
    static let table = P.table("table", "The object-detection table: images and their labels (DLPy's create_object_detection_table).")
    static let casOut = P.outTable("casOut", "Images with the boxes drawn (PNG), then _path_ (missing when the input has none) and the other columns.", required: true)
    static let image = P.string("image", "The image column.", default: ImageColumns.image)
    static let coordType = P.string("coordType", "YOLO (center x, y, width, height relative to the image) or COCO (xmin, ymin, xmax, ymax in pixels).",
                                    default: "YOLO", allowed: ["YOLO", "COCO"])
    static let maxObjects = P.int("maxObjects", "The most objects drawn per image.", default: 10, min: 1, max: 10_000)
    static let parameters = [table.spec, casOut.spec, image.spec, coordType.spec, maxObjects.spec]

    /// One box to draw, in pixels (edges included), and its class.
    struct Box: Sendable {
        var x0: Double, y0: Double, x1: Double, y1: Double
        var label: String
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.filteredTable(args[table])
        let cells = try ImageColumns.imageColumn(t.data, name: args[image], parameter: "image")
        let yolo = args[coordType] == "YOLO"
        let boxes = try objectBoxes(t.data, yolo: yolo, maxObjects: args[maxObjects])
        let rows = (0..<t.data.rowCount).filter { !boxes[$0].isEmpty }
        var kept: [Int] = [], images: [[UInt8]?] = []
        var skipped = SkipReport()
        let budget = ImageRows.Budget(ctx)
        try await ImageRows.forEachChunk(cells, rows: rows, ctx, budget: budget) { r, bytes throws(ImageCodecError) -> [UInt8] in
            let decoded = try PixelDecoding.decode(bytes).converted(to: .bgr)
            let n = decoded.pixels.count * 2
            try budget.reserve(n, for: "Drawing the boxes of image \(r + 1)")
            defer { budget.done(n) }
            let png = try ImageCodec.encodePNG(try draw(boxes[r], on: decoded, relative: yolo))
            try budget.reserve(png.count, for: "The images with boxes", kept: true)
            return png
        } consume: { chunk, results in
            for (r, res) in zip(chunk, results) {
                switch res {
                case .success(let png): kept.append(r); images.append(png)
                case .failure(let e): skipped.add(ImageColumns.rowName(t.data, r), ImageFileReader.reason(e))
                }
            }
        }
        skipped.warn(ctx, "images", "could not be drawn")
        var data = try ProcessImages.carried(t.data, image: args[image], copyVars: []).gather(kept)
        data.columns.insert(Column(name: ImageColumns.image, label: "Image", attributes: ImageColumns.mime(ImageFormat.png.mimeType), data: .varbinary(images)), at: 0)
        if data.column(ImageColumns.path) == nil {   // DLPy fetches _path_ for the plots' titles: missing (untitled) when the input has none
            data.columns.insert(Column(name: ImageColumns.path, label: "Path", data: .varchar([String?](repeating: nil, count: kept.count))), at: 1)
        }
        let stored = try await ctx.store(data, out: args[casOut], defaultName: "DETECTIONS", sourceName: t.name, sourceCaslib: t.caslib)
        ctx.note("\(kept.count) of \(t.data.rowCount) images have objects drawn on them.")
        return OutputTables.result(stored)
    }

    /// Each row's boxes, read from the label columns (a row without `_nObjects_` or with 0 has none).
    static func objectBoxes(_ data: DataTable, yolo: Bool, maxObjects: Int) throws(ActionError) -> [[Box]] {
        guard let count = data.column("_nObjects_") else { throw ActionError.missingColumn("_nObjects_", in: data, parameter: "table") }
        let names = yolo ? ["x", "y", "width", "height"] : ["xmin", "ymin", "xmax", "ymax"]
        var objects: [(label: Column?, coords: [Column])] = []
        for i in 0..<maxObjects {
            let coords = names.compactMap { data.column("_Object\(i)_\($0)") }
            guard coords.count == 4 else { break }
            objects.append((data.column("_Object\(i)_"), coords))
        }
        return (0..<data.rowCount).map { r in
            let n = min(Int(max(0, min(Double(objects.count), count.data.double(at: r) ?? 0))), objects.count)
            return objects.prefix(n).compactMap { o -> Box? in
                let v = o.coords.map { $0.data.double(at: r) }
                guard let a = v[0], let b = v[1], let c = v[2], let d = v[3] else { return nil }
                let label = o.label.flatMap { $0.data.value(at: r).stringValue } ?? ""
                return yolo ? Box(x0: a - c / 2, y0: b - d / 2, x1: a + c / 2, y1: b + d / 2, label: label)   // relative: scaled when drawn
                    : Box(x0: a, y0: b, x1: c, y1: d, label: label)
            }
        }
    }

    /// Colors (BGR) of the classes, picked by a stable hash of the class name.
    static let palette: [[UInt8]] = [[0, 0, 255], [255, 0, 0], [0, 200, 0], [0, 255, 255], [255, 0, 255], [255, 255, 0], [0, 128, 255], [255, 255, 255]]

    /// `img` (BGR) with a 1-pixel rectangle per box; YOLO boxes (relative) are scaled to the image, all clipped to it.
    static func draw(_ boxes: [Box], on img: Image, relative: Bool) throws(ImageCodecError) -> Image {
        var pixels = img.pixels
        let w = img.width, h = img.height
        for b in boxes {
            let scale = relative ? (Double(w), Double(h)) : (1.0, 1.0)
            func clip(_ v: Double, _ side: Int) -> Int { Int(max(0, min(Double(side - 1), v.rounded(.down)))) }
            let x0 = clip(b.x0 * scale.0, w), x1 = clip(b.x1 * scale.0, w), y0 = clip(b.y0 * scale.1, h), y1 = clip(b.y1 * scale.1, h)
            guard x0 <= x1, y0 <= y1 else { continue }
            let color = palette[b.label.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF } % palette.count]
            func put(_ x: Int, _ y: Int) { for c in 0..<3 { pixels[(y * w + x) * 3 + c] = color[c] } }
            for x in x0...x1 { put(x, y0); put(x, y1) }
            for y in y0...y1 { put(x0, y); put(x1, y) }
        }
        return try Image(width: w, height: h, format: .bgr, pixels: pixels)
    }
}
