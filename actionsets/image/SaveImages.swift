import CASCore
import CASWire
import Foundation
import ImageCodec

/// `image.saveImages`: writes the images of a table as PNG or JPEG files into a caslib folder,
/// one sub-folder per label.
struct SaveImages: Action {
    static let name = "saveImages"
    static let summary = """
        Writes images as PNG or JPEG files to caslib/subDirectory/<label>/<name>.<ext>, named by _id_ or by _filename_0. \
        Paths never leave the caslib's folder.
        """
    static let table = P.table("table", "The image table.").aliases("imageTable")
    static let image = P.string("image", "The image column.", default: ImageColumns.image)
    static let caslib = P.caslib("caslib", "Caslib to write to; the active caslib when omitted.")
    static let subDirectory = P.string("subDirectory", "Folder inside the caslib (created when missing).", default: "")
    static let type = P.string("type", "File format.", default: "PNG", allowed: ["PNG", "JPG", "JPEG"])
    static let quality = P.int("quality", "JPEG quality (1…100).", default: 90, min: 1, max: 100)
    static let naming = P.string("naming", "File names: ID (_id_, else the row number) or FILENAME (_filename_0 with the new extension).",
                                 default: "ID", allowed: ["ID", "FILENAME"])
    static let labelFolders = P.bool("labelFolders", "Write each image under a folder named after its _label_ (missing label: 'unlabeled').", default: true)
    static let replace = P.bool("replace", "Overwrite existing image files (otherwise an existing file is an error, before anything is written).", default: false)
    static let parameters = [table.spec, image.spec, caslib.spec, subDirectory.spec, type.spec, quality.spec, naming.spec, labelFolders.spec, replace.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let t = try await ctx.filteredTable(args[table])
        let cells = try ImageColumns.imageColumn(t.data, name: args[image], parameter: "image")
        let lib = try await ctx.caslib(args[caslib])
        let folder = try await ctx.path(args[subDirectory], in: lib, for: .write, parameter: "subDirectory")
        let format: ImageFormat = args[type] == "PNG" ? .png : .jpeg
        let files = try relativeNames(t.data, folders: args[labelFolders], byFilename: args[naming] == "FILENAME", ext: format.fileExtension)
        var targets: [CaslibPath] = []
        for f in files { targets.append(try folder.child(f)) }
        let overwrite = args[replace]
        try CaslibPath.checkWritable(targets, replace: overwrite)
        let q = args[quality]
        let all = targets
        var saved = 0
        var skipped = SkipReport()
        try await ImageRows.forEachChunk(cells, rows: Array(0..<t.data.rowCount), ctx) { r, bytes throws(ImageCodecError) in
            let img = try PixelDecoding.decode(bytes)
            let out = format == .png ? try ImageCodec.encodePNG(img) : try ImageCodec.encodeJPEG(img, quality: q)
            try write(out, to: all[r], replace: overwrite)
        } consume: { rows, results in
            for (r, res) in zip(rows, results) {
                if case .failure(let e) = res { skipped.add(ImageColumns.rowName(t.data, r), ImageFileReader.reason(e)) } else { saved += 1 }
            }
        }
        skipped.warn(ctx, "images", "could not be saved")
        ctx.note("Saved \(saved) images to \(args[subDirectory].isEmpty ? "the folder" : "'\(args[subDirectory])' in the folder") of caslib \(lib.name).")
        return ["caslib": .string(lib.name), "path": .string(args[subDirectory]), "saved": .int(Int64(saved))]
    }

    static func write(_ bytes: [UInt8], to file: CaslibPath, replace: Bool) throws(ImageCodecError) {
        do { try file.write(bytes, replace: replace) } catch {
            throw ImageCodecError(.encodeFailed, "cannot write \(file.display)", cause: error.message)
        }
    }

    /// `<label>/<name>.<ext>` per row, with label and name made safe as one path component.
    static func relativeNames(_ d: DataTable, folders: Bool, byFilename: Bool, ext: String) throws(ActionError) -> [String] {
        let labels = d.column(ImageColumns.label)
        let ids = d.column(ImageColumns.id)
        let names = d.column(ImageColumns.filename)
        if byFilename && names == nil {
            throw ActionError(.notFound, "naming=FILENAME needs a _filename_0 column, which table \(d.name) does not have.", parameter: "naming")
        }
        return (0..<d.rowCount).map { r in
            var base = ids?.data.double(at: r).flatMap { Int64(exactly: $0) }.map(String.init) ?? String(r + 1)
            if byFilename, case .varchar(let a)? = names?.data, let n = a[r] {
                base = (n as NSString).deletingPathExtension
            }
            let file = safe(base) + "." + ext
            guard folders else { return file }
            let label: String? = if case .varchar(let a)? = labels?.data { a[r] } else { nil }
            return safe(label ?? "unlabeled") + "/" + file
        }
    }

    /// One visible path component of at most 200 characters: '/', '\\' and control characters become '_',
    /// a leading '.' becomes '_', and "" becomes "_".
    static func safe(_ s: String) -> String {
        var t = String(s.unicodeScalars.prefix(200).map { u -> Character in
            u == "/" || u == "\\" || u.value < 0x20 || u.value == 0x7F ? "_" : Character(u)
        })
        if t.hasPrefix(".") { t = "_" + t.dropFirst() }
        return t.isEmpty ? "_" : t
    }
}
