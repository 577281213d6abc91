import CASCore
import CASWire
import ImageCodec

/// `image.loadImages`: reads PNG, JPEG and DICOM files from a caslib folder tree into an image table.
struct LoadImages: Action {
    static let name = "loadImages"
    static let summary = """
        Loads the PNG, JPEG and DICOM files under a caslib path into a table: _image_ (the file bytes, or with decode=True \
        CLRI raw BGR pixels; DICOM always decoded: gray as CLRI int16 Hounsfield units, color as CLRI BGR), _label_, _path_, _filename_0, _id_, _size_, _type_. \
        Unreadable files are skipped with one warning.
        """
    static let path = P.string("path", "File or folder relative to the caslib's folder; the caslib's folder when omitted.", default: "")
    static let caslib = P.caslib("caslib", "Caslib holding the files; the active caslib when omitted.")
    static let recurse = P.bool("recurse", "Also load the files in sub-folders.", default: true)
    static let labelLevels = P.int(
        "labelLevels",
        "Folders forming _label_: n > 0 joins the n folders above the file (1 = its own folder); n < 0 joins the first |n| folders below 'path' (-1 = the top class folder); 0 = no label.",
        default: 1)
    static let decode = P.bool(
        "decode", "False keeps each file's encoded bytes (the CAS default); True stores decoded pixels as CLRI raw BGR (docs/images.md).",
        default: false)
    static let casOut = P.outTable("casOut", "The output image table.", required: true)
    static let addColumns = P.stringList(
        "addColumns",
        "Extra columns: WIDTH (_width_), HEIGHT (_height_), CHANNELCOUNT (_channelCount_), CHANNELTYPE (_channelType_, e.g. CV_8UC3), DEPTH (_depth_, bits per sample); DICOM elements by keyword (the column has the keyword's name; missing for PNG/JPEG rows): \(DICOMColumns.keywords.map(\.keyword).joined(separator: ", ")).",
        allowed: LoadedImageColumns.extraColumns.map(\.option) + DICOMColumns.keywords.map(\.keyword))
    static let distribution = P.dict("distribution", "Accepted for CAS compatibility; caslite runs on one node, so rows are always in path order.", [
        P.string("type", "Distribution type.", default: "RANDOM", allowed: ["RANDOM", "ROUNDROBIN"]).spec,
        P.optionalInt("seed", "Seed (ignored on one node).").spec,
    ])
    static let series = P.bool(
        "series",
        "Load the DICOM slices of each folder (and SeriesInstanceUID) as one 3-D image (CLRV int16 Hounsfield units), ordered by position along the slice normal, spacing kept; a multi-frame gray DICOM file (Enhanced CT) is a 3-D image of its own; adds _slices_ and _spacing_. PNG, JPEG and color DICOM files load as usual.",
        default: false)
    static let quiet = P.bool("quiet", "Do not log the NOTE with the number of images loaded (the skip WARNING is always logged).", default: false)
    static let parameters = [path.spec, caslib.spec, recurse.spec, labelLevels.spec, decode.spec, casOut.spec, addColumns.spec,
                             distribution.spec, series.spec, quiet.spec]

    /// Files read per chunk: bounds memory (one chunk of file bytes and decoded pixels in flight).
    static let chunkSize = 128

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        let extras = Set(args[addColumns])
        let list = try ImageFileList(try await ctx.path(args[path], in: lib, for: .read, parameter: "path"), recurse: args[recurse])
        // the files' bytes end up in the table (decode=True reserves each image's pixels as it decodes)
        try ctx.reserve(list.entries.reduce(0) { $0 &+ $1.size }, for: "Loading \(list.entries.count) image files")
        var cols = LoadedImageColumns(extras: extras, decoded: args[decode], series: args[series])
        var skipped = SkipReport()
        var volumes = args[series] ? DICOMSeries() : nil
        try await read(list, decode: args[decode], levels: args[labelLevels], into: &cols, series: &volumes, skipped: &skipped, ctx)
        if let volumes {  // one row per series, after the files
            var unformed = SkipReport()
            let made = try volumes.volumes(reserve: { (n) throws(ActionError) in try ctx.reserve(n, for: "DICOM series volumes") }, skipped: &unformed)
            for v in made { cols.append(v.file, entry: v.entry, label: ImageFileList.label(v.entry, levels: args[labelLevels])) }
            unformed.warn(ctx, "DICOM series", "do not form a 3-D image")
        }
        skipped.warn(ctx, "files", "are not readable PNG, JPEG or DICOM images")
        if let note = list.skippedNote { ctx.warning(note) }
        // As in CAS, casOut without a caslib goes to the active caslib, not to the caslib of the files
        // (DLPy's load_files reads the output from the active caslib, after dropping the caslib it made).
        let out = args[casOut]
        let stored = try await ctx.store(cols.table(name: out.name ?? "IMAGES"), out: out, defaultName: "IMAGES",
                                         sourceName: args[path], sourceCaslib: lib.name)
        let where_ = args[path].isEmpty ? "caslib \(lib.name)" : "'\(args[path])' in caslib \(lib.name)"
        if !args[quiet] { ctx.note("Loaded \(cols.ids.count) images from \(where_) into table \(stored.name).") }
        return OutputTables.result(stored)
    }

    /// Reads the files chunk by chunk on all cores; progress and cancellation between chunks.
    /// With `series`, DICOM slices are collected there instead of becoming rows.
    static func read(_ list: ImageFileList, decode: Bool, levels: Int, into cols: inout LoadedImageColumns,
                     series: inout DICOMSeries?, skipped: inout SkipReport, _ ctx: ActionContext) async throws {
        let n = list.entries.count
        let keywords = series == nil ? cols.dicomKeywords : Array(Set(cols.dicomKeywords + DICOMSeries.keywords))
        let volumes = series != nil  // multi-frame DICOM files are 3-D images: read only with series=True
        for start in stride(from: 0, to: n, by: chunkSize) {
            try ctx.checkCancellation()
            let slice = Array(list.entries[start..<min(start + chunkSize, n)])
            let results = try await ctx.cpu {
                ImageCodec.parallelMap(count: slice.count) { i in
                    ImageFileReader.read(slice[i].file, decode: decode, dicomKeywords: keywords, dicomVolumes: volumes) { (n) throws(ActionError) in
                        try ctx.reserve(n, for: "Decoding \(slice[i].relative)")
                    }
                }
            }
            for (e, r) in zip(slice, results) {
                switch r {
                case .loaded(let f) where f.fileType == "dcm" && f.channels == 1 && f.slices == nil && series != nil: series?.add(f, entry: e)
                case .loaded(let f): cols.append(f, entry: e, label: ImageFileList.label(e, levels: levels))
                case .skipped(let err): skipped.add(e.relative, ImageFileReader.reason(err))
                case .refused(let err): throw err
                }
            }
            ctx.progress(done: start + slice.count, total: n, unit: "file", message: "loadImages")
        }
    }
}
