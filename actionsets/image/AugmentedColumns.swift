import CASWire
import ImageCodec

/// augmentImages' output columns, filled chunk by chunk.
struct AugmentedColumns {
    let source: DataTable
    let copy: [Int]
    var images: [[UInt8]?] = [], parents: [Int64?] = [], mutations: [String?] = []
    var xs: [Int64?] = [], ys: [Int64?] = [], ws: [Int64?] = [], hs: [Int64?] = []
    var sourceRows: [Int] = []

    init(source: DataTable, copy: [Int]) {
        self.source = source
        self.copy = copy
    }

    mutating func append(_ pieces: [AugmentImages.Piece], sourceRow r: Int) {
        let parent = source.column(ImageColumns.id)?.data.double(at: r).map { Int64($0) } ?? Int64(r + 1)
        for p in pieces {
            images.append(p.bytes)
            parents.append(parent)
            mutations.append(p.mutation)
            xs.append(Int64(p.rect.x))
            ys.append(Int64(p.rect.y))
            ws.append(Int64(p.rect.width))
            hs.append(Int64(p.rect.height))
            sourceRows.append(r)
        }
    }

    func table() -> DataTable {
        var cols = [
            Column(name: ImageColumns.image, label: "Image", attributes: ImageColumns.mime(ImageColumns.rawMIME), data: .varbinary(images)),
            Column(name: ImageColumns.id, label: "Image ID", data: .int64((0..<images.count).map { Int64($0 + 1) })),
            Column(name: ImageColumns.parentId, label: "Source image ID", data: .int64(parents)),
            Column(name: "x", label: "Patch left column", data: .int64(xs)), Column(name: "y", label: "Patch top row", data: .int64(ys)),
            Column(name: "width", label: "Patch width", data: .int64(ws)), Column(name: "height", label: "Patch height", data: .int64(hs)),
            Column(name: "_mutation_", label: "Mutation", data: .varchar(mutations)),
        ]
        let taken = Set(cols.map { $0.name.lowercased() })
        for i in copy where !taken.contains(source.columns[i].name.lowercased()) {
            var c = source.columns[i]
            c.data = c.data.gather(sourceRows)
            cols.append(c)
        }
        return DataTable(name: "AUGMENTED", columns: cols)
    }
}
