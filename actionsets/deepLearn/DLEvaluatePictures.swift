import CASCore
import CASWire
import Foundation
import ImageCodec
import SeededRandom

/// `deepLearn.dlEvaluatePictures`: DLPy's `plot_evaluate_res` as files — for picked rows of a
/// dlScore output, one SVG with the image and a bar chart of its class probabilities (true class
/// green, a wrong prediction red). Picks: all, correctly or misclassified rows (`imageType`
/// A / C / M, DLPy's img_type), in table order or seeded random order.
struct DLEvaluatePictures: Action {
    static let name = "dlEvaluatePictures"
    static let summary = "Pictures of scored images with a bar chart of their class probabilities (all, correctly or misclassified picks), as SVG."
    static let table = P.table("table", "A dlScore output table (target, I_<target> and P_<target><level> columns).")
    static let imageTable = P.optionalTable("imageTable", "The table holding the images (_image_), joined to table on idVar; default: table itself.")
    static let target = P.string("target", "The target column of table (the predicted one is I_<target>).", default: "_label_")
    static let idVar = P.string("idVar", "Column that identifies an image in both tables.", default: "_id_")
    static let imageType = P.string("imageType", "A: any rows; C: correctly classified; M: misclassified (DLPy's img_type).",
                                    default: "A", allowed: ["A", "C", "M"])
    static let nImages = P.int("nImages", "Most pictures to make.", default: 5, min: 1, max: 1000)
    static let randomize = P.bool("randomize", "Pick rows in a random order (seeded) instead of table order.", default: false)
    static let seed = P.int("seed", "Seed of the random pick.", default: 0)
    static let topK = P.int("topK", "Bars per picture: the most probable classes.", default: 5, min: 1, max: 100)
    static let caslib = P.caslib("caslib", "Caslib of the output folder.")
    static let path = P.optionalString("path", "Folder (relative to the caslib) for evaluate_<id>.svg files; none when omitted.")
    static let parameters = [table.spec, imageTable.spec, target.spec, idVar.spec, imageType.spec, nImages.spec, randomize.spec,
                             seed.spec, topK.spec, caslib.spec, path.spec, replace.spec]
    static let replace = P.bool("replace", "Overwrite existing picture files in the folder (otherwise an existing file is an error).", default: false)

    struct Pick: Sendable {
        var id: String
        var actual: String
        var predicted: String
        var probabilities: [(String, Double)]  // descending
        var image: [UInt8]?
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let scored = try await ctx.filteredTable(args[table]).data
        let tgt = args[target], id = args[idVar]
        guard let actualCol = scored.column(tgt) else { throw ActionError.missingColumn(tgt, in: scored, parameter: "target") }
        guard let predictedCol = scored.column("I_\(tgt)") else {
            throw ActionError(.notFound, "Table \(scored.name) has no column I_\(tgt): give a dlScore output table.", parameter: "table")
        }
        let probColumns = levelColumns(scored, target: tgt)
        guard !probColumns.isEmpty else {
            throw ActionError(.notFound, "Table \(scored.name) has no P_\(tgt)<level> columns: give a dlScore output table.", parameter: "table")
        }
        // the images: in the scored table, or looked up by id in imageTable
        let images: (Int) -> [UInt8]?
        let other = args[imageTable]
        var imagesIn = scored
        if let other { imagesIn = try await ctx.filteredTable(other).data }
        guard let imageCol = imagesIn.column("_image_"), case .varbinary(let blobs) = imageCol.data else {
            throw ActionError(.notFound, "Table \(imagesIn.name) has no varbinary _image_ column\(other != nil ? "" : "; give imageTable (the table dlScore read)").",
                              parameter: other != nil ? "imageTable" : "table")
        }
        if other != nil {
            guard let a = scored.column(id) else { throw ActionError.missingColumn(id, in: scored, parameter: "idVar") }
            guard let b = imagesIn.column(id) else { throw ActionError.missingColumn(id, in: imagesIn, parameter: "idVar") }
            var rowOf: [String: Int] = [:]
            for r in 0..<imagesIn.rowCount where rowOf[LevelText.text(b.data.value(at: r))] == nil { rowOf[LevelText.text(b.data.value(at: r))] = r }
            images = { r in rowOf[LevelText.text(a.data.value(at: r))].flatMap { blobs[$0] } }
        } else {
            images = { r in blobs[r] }
        }
        // the picks
        var order = Array(0..<scored.rowCount)
        if args[randomize] {
            var g = SplitMix64(seed: UInt64(bitPattern: Int64(args[seed])))
            order.shuffle(using: &g)
        }
        var picks: [Pick] = []
        for r in order where picks.count < args[nImages] {
            let actual = LevelText.text(actualCol.data.value(at: r)), predicted = LevelText.text(predictedCol.data.value(at: r))
            switch args[imageType] {
            case "C" where actual != predicted, "M" where actual == predicted: continue
            default: break
            }
            let probs = probColumns.map { ($0.level, $0.column.data.double(at: r) ?? .nan) }.sorted { $0.1 > $1.1 }
            let rowID = scored.column(id).map { LevelText.text($0.data.value(at: r)) } ?? String(r + 1)
            picks.append(Pick(id: rowID, actual: actual, predicted: predicted, probabilities: Array(probs.prefix(args[topK])), image: images(r)))
        }
        if picks.isEmpty {
            let what = ["A": "rows", "C": "correctly classified rows", "M": "misclassified rows"][args[imageType]]!
            ctx.note("Table \(scored.name) has no \(what); no pictures were made.")
        }
        let chosen = picks
        let svgs = try await ctx.cpu { chosen.map(svg) }
        var files: [String?] = Array(repeating: nil, count: picks.count)
        if let folder = args[path] {
            let lib = try await ctx.caslib(args[caslib])
            let dir = try await ctx.path(folder, in: lib, for: .write, parameter: "path")
            let written = try dir.writeFiles(picks.enumerated().map { i, p in ("evaluate_\(safeName(p.id)).svg", Array(svgs[i].utf8)) },
                                             replace: args[replace])
            files = written.map { Optional($0) }
        }
        var t = DataTable.result("EvaluatePictures", label: "Evaluation pictures",
                                 columns: [(id, .varchar), (tgt, .varchar), ("I_\(tgt)", .varchar), ("P_Predicted", .double), ("Picture", .varbinary), ("File", .varchar)],
                                 rows: picks.enumerated().map { i, p in
                                     [.string(p.id), .string(p.actual), .string(p.predicted), .double(p.probabilities.first { $0.0 == p.predicted }?.1 ?? .nan),
                                      .blob(Array(svgs[i].utf8)), files[i].map(Value.string) ?? .null]
                                 })
        // no image/* MIMEType: swat hands such columns to Pillow, which cannot read SVG (the column is SVG text as bytes)
        // kept with the training run whose model wrote the scored table (the web monitor's Training page)
        ctx.server.trainings.addPictures(picks.enumerated().map { i, p in TrainingPicture(.evaluation, caption: caption(p), bytes: Array(svgs[i].utf8)) },
                                         user: ctx.user, scoredTable: scored.name)
        if !picks.isEmpty { ctx.note("Made \(picks.count) evaluation picture\(picks.count == 1 ? "" : "s")\(args[path] == nil ? "" : " in \(args[path]!)").") }
        return ["EvaluatePictures": .table(t)]
    }

    /// The P_<target><level> columns and their levels (from the label dlScore writes, "Predicted: <target>=<level>").
    static func levelColumns(_ t: DataTable, target: String) -> [(level: String, column: Column)] {
        let prefix = "P_\(target)", labelPrefix = "Predicted: \(target)="
        return t.columns.compactMap { c in
            guard c.name.hasPrefix(prefix), c.name.count > prefix.count, c.data.double(at: 0) != nil || t.rowCount == 0 else { return nil }
            let level = c.label.hasPrefix(labelPrefix) ? String(c.label.dropFirst(labelPrefix.count)) : String(c.name.dropFirst(prefix.count))
            return (level, c)
        }
    }

    /// An id as one file-name component: letters, digits, `-` and `_` kept, anything else `_`, at most
    /// 100 characters. When that changed the id, a short hash of the original id is appended
    /// (`a/b` → `a_b_1f2e3d4c`), so ids that differ only in replaced characters (`a/b`, `a_b`) get
    /// different files.
    static func safeName(_ s: String) -> String {
        let kept = String(s.prefix(100).map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "-" || $0 == "_" ? $0 : "_" })
        guard kept != s else { return kept }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a, stable across runs (Swift's Hasher is seeded per process)
        for b in s.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return kept + "_" + String(String(hash, radix: 16).suffix(8))
    }

    /// `id 3: actual circle, predicted square (misclassified)`: the picture's title and its caption on the monitor.
    static func caption(_ p: Pick) -> String {
        "id \(p.id): actual \(p.actual), predicted \(p.predicted)" + (p.actual == p.predicted ? "" : " (misclassified)")
    }

    /// The picture: the image (max 224 px, as an embedded PNG) left, the probability bars right.
    static func svg(_ p: Pick) -> String {
        let side = 224, barsLeft = side + 150, barW = 260, rowH = 28
        let h = max(side + 70, 70 + rowH * p.probabilities.count + 20), w = barsLeft + barW + 70
        let ok = p.actual == p.predicted
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        let title = caption(p)
        s += "<text x=\"\(w / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" fill=\"\(ok ? "#1a7f37" : "#b42318")\">\(SVGCharts.escape(title))</text>\n"
        if let png = p.image.flatMap(displayPNG) {
            s += "<image x=\"10\" y=\"45\" width=\"\(side)\" height=\"\(side)\" preserveAspectRatio=\"xMidYMid meet\" href=\"data:image/png;base64,\(Base64.encode(png))\"/>\n"
        } else {
            s += "<rect x=\"10\" y=\"45\" width=\"\(side)\" height=\"\(side)\" fill=\"#eee\"/><text x=\"\(10 + side / 2)\" y=\"\(45 + side / 2)\" text-anchor=\"middle\">no image</text>\n"
        }
        s += "<text x=\"\(barsLeft)\" y=\"50\" font-weight=\"bold\">class probabilities</text>\n"
        for (i, (level, prob)) in p.probabilities.enumerated() {
            let y = 62 + i * rowH, len = prob.isFinite ? max(0, min(1, prob)) * Double(barW) : 0
            let colour = level == p.actual ? "#2ca02c" : (level == p.predicted ? "#d62728" : "#9e9e9e")
            s += "<text x=\"\(barsLeft - 8)\" y=\"\(y + 15)\" text-anchor=\"end\">\(SVGCharts.escape(level))</text>"
            s += "<rect x=\"\(barsLeft)\" y=\"\(y + 2)\" width=\"\(Fixed.text(len, 1))\" height=\"\(rowH - 8)\" fill=\"\(colour)\"/>"
            s += "<text x=\"\(Fixed.text(Double(barsLeft) + len + 6, 1))\" y=\"\(y + 15)\">\(prob.isFinite ? Fixed.text(prob, 4) : ".")</text>\n"
        }
        return s + "</svg>\n"
    }

    /// A cell as an RGB PNG for display: PNG/JPEG/CLRI uint8 decoded (CLRI BGR swapped back), float32
    /// (mean/std-normalized) cells min-max scaled; nil when the cell is not an image.
    static func displayPNG(_ bytes: [UInt8]) -> [UInt8]? {
        if ImageFormat.sniff(bytes) == .raw, case .float32(let f)? = try? RawImage.decode(bytes) {
            let img = f.displayable()
            return try? ImageCodec.encodePNG(img.format == .gray ? img : img.converted(to: .rgb))
        }
        guard let img = try? ImageCodec.decode(bytes) else { return nil }
        return try? ImageCodec.encodePNG(img.format == .gray ? img : img.converted(to: .rgb))
    }
}
