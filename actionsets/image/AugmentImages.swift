import CASCore
import CASWire
import ImageCodec
import SeededRandom

/// `image.augmentImages`: crops, sweeps of crops or mask patches, and mutations (flips,
/// rotations, …) — one output row per rectangle position and mutation.
struct AugmentImages: Action {
    static let name = "augmentImages"
    static let summary = """
        Augments images: for each cropList item, crops (or, with mask=True, fills in the full image) a rectangle — or every \
        position of a sweep (sweepImage, stepSize) — and adds one copy per mutation. Output: _image_ (CLRI), a new unique _id_, \
        _parentId_ (the source _id_), x, y, width, height (the rectangle), _mutation_, and copyVars.
        """
    static let table = P.table("table", "The image table.").aliases("imageTable")
    static let casOut = P.outTable("casOut", "The output image table.", required: true)
    static let image = P.string("image", "The image column.", default: ImageColumns.image)
    static let copyVars = P.stringList("copyVars", "Columns to copy; all except the image column and _id_ when omitted.")
    static let cropList = P.groupList("cropList", "Rectangles and what to do with them.", CropSpec.Keys.self, required: true)
    static let seed = P.int("seed", "Seed for the random mutations (colorShifting, colorJittering).", default: 0)
    static let addColumns = P.dict("addColumns", "Accepted for CAS compatibility: x, y, width and height are always added.", [
        P.stringList("augmentAttributes", "E.g. PATCH_X, PATCH_Y, PATCH_WIDTH, PATCH_HEIGHT.").spec,
    ])
    static let randomRatio = P.double("randomRatio", "Accepted for CAS compatibility; every output is written.", default: 1, min: 0, max: 1)
    static let writeRandomly = P.bool("writeRandomly", "Accepted for CAS compatibility; outputs are written in order.", default: false)
    static let parameters = [table.spec, casOut.spec, image.spec, copyVars.spec, cropList.spec, seed.spec, addColumns.spec,
                             randomRatio.spec, writeRandomly.spec]

    /// One output image and where it came from.
    struct Piece: Sendable {
        var bytes: [UInt8]
        var rect: PixelRect
        var mutation: String
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let specs = args[cropList].map(CropSpec.init)
        let t = try await ctx.filteredTable(args[table])
        let cells = try ImageColumns.imageColumn(t.data, name: args[image], parameter: "image")
        let s = UInt64(bitPattern: Int64(args[seed]))
        var out = AugmentedColumns(source: t.data, copy: try copied(t.data, image: args[image], copyVars: args[copyVars]))
        var skipped = SkipReport()
        let budget = ImageRows.Budget(ctx)
        try await ImageRows.forEachChunk(cells, rows: Array(0..<t.data.rowCount), ctx, budget: budget) { r, bytes throws(ImageCodecError) in
            try pieces(try PixelDecoding.decode(bytes), specs, seed: s &+ UInt64(r)) { (n) throws(ImageCodecError) in
                try budget.reserve(n, for: "The augmented images", kept: true)
            }
        } consume: { rows, results in
            for (r, res) in zip(rows, results) {
                switch res {
                case .success(let ps): out.append(ps, sourceRow: r)
                case .failure(let e) where e.code == .invalidArgument:
                    throw ActionError(.parameterValue, "cropList: \(e.message) (image \(ImageColumns.rowName(t.data, r))).", parameter: "cropList")
                case .failure(let e): skipped.add(ImageColumns.rowName(t.data, r), ImageFileReader.reason(e))
                }
            }
        }
        skipped.warn(ctx, "images", "could not be augmented")
        let stored = try await ctx.store(out.table(), out: args[casOut], defaultName: "AUGMENTED", sourceName: t.name, sourceCaslib: t.caslib)
        ctx.note("Wrote \(stored.rowCount) augmented images from \(t.data.rowCount - skipped.count) source images to table \(stored.name).")
        return OutputTables.result(stored)
    }

    /// Every output of one source image, in cropList order, rectangles row by row, each followed by its mutations.
    /// `reserve` is told each output's bytes before it is made.
    static func pieces(_ img: Image, _ specs: [CropSpec], seed: UInt64,
                       reserve: (Int) throws(ImageCodecError) -> Void = { _ throws(ImageCodecError) in }) throws(ImageCodecError) -> [Piece] {
        var rng = SplitMix64(seed: seed)
        var out: [Piece] = []
        for spec in specs {
            for r in try spec.rects(width: img.width, height: img.height) {
                try reserve(spec.outputBytes(img, r) &* (1 + spec.mutations.count))
                let base = try spec.render(img, r)
                out.append(Piece(bytes: base.rawBytes(), rect: r, mutation: "none"))
                for m in spec.mutations {
                    out.append(Piece(bytes: try base.mutated(m.mutation, using: &rng).rawBytes(), rect: r, mutation: m.name))
                }
            }
        }
        return out
    }

    /// Indices of the columns to copy.
    static func copied(_ d: DataTable, image: String, copyVars: [String]) throws(ActionError) -> [Int] {
        let skip = Set([image.lowercased(), ImageColumns.id])
        if copyVars.isEmpty { return d.columns.indices.filter { !skip.contains(d.columns[$0].name.lowercased()) } }
        var out: [Int] = []
        for (i, v) in copyVars.enumerated() {
            guard let c = d.columnIndex(v) else {
                throw ActionError.missingColumn(v, in: d, parameter: "copyVars[\(i + 1)]")
            }
            if !skip.contains(d.columns[c].name.lowercased()) && !out.contains(c) { out.append(c) }
        }
        return out
    }
}
