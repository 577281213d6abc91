import CASWire
import ImageCodec

/// Accumulates loadImages' output columns chunk by chunk.
struct LoadedImageColumns {
    /// The optional `addColumns` CAS offers (others are refused): name → output column.
    static let extraColumns: [(option: String, column: String)] = [
        ("WIDTH", "_width_"), ("HEIGHT", "_height_"), ("CHANNELCOUNT", "_channelCount_"), ("CHANNELTYPE", "_channelType_"),
        ("DEPTH", "_depth_"),
    ]

    let extras: Set<String>
    let decoded: Bool
    /// `series=True`: the `_slices_` and `_spacing_` columns.
    let series: Bool
    var sliceCounts: [Int64?] = [], spacings: [String?] = []
    var images: [[UInt8]?] = [], labels: [String?] = [], paths: [String?] = [], names: [String?] = []
    var ids: [Int64?] = [], sizes: [Int64?] = [], types: [String?] = []
    var widths: [Int64?] = [], heights: [Int64?] = [], channels: [Int64?] = [], depths: [Int64?] = []
    var channelTypes: [String?] = []
    var formats: [ImageFormat: Int] = [:]
    /// The requested DICOM keywords, and per keyword one text per row (missing for PNG/JPEG rows).
    let dicomKeywords: [String]
    var dicomTexts: [String: [String?]] = [:]

    init(extras: Set<String>, decoded: Bool, series: Bool = false) {
        self.extras = extras
        self.decoded = decoded
        self.series = series
        dicomKeywords = DICOMColumns.requested(extras)
    }

    mutating func append(_ f: ImageFileReader.Loaded, entry e: ImageFileList.Entry, label: String?) {
        images.append(f.bytes)
        labels.append(label)
        paths.append(e.relative)
        names.append(e.filename)
        ids.append(Int64(ids.count + 1))
        sizes.append(Int64(f.fileSize))
        types.append(f.fileType)
        widths.append(Int64(f.width))
        heights.append(Int64(f.height))
        channels.append(Int64(f.channels))
        depths.append(Int64(f.bitDepth))
        channelTypes.append(f.channelType)
        formats[f.format, default: 0] += 1
        for k in dicomKeywords { dicomTexts[k, default: []].append(f.dicomTags[k]) }
        sliceCounts.append(f.slices.map(Int64.init))
        spacings.append(f.spacing.map { s in [s.x, s.y, s.z].map { "\($0)" }.joined(separator: "\\") })
    }

    /// The `_image_` MIME type: CLRI for decoded pixels, else the most common file format's.
    var mimeType: String {
        if decoded { return ImageColumns.rawMIME }
        return (formats.max { $0.value < $1.value }?.key ?? .png).mimeType
    }

    func table(name: String) -> DataTable {
        var cols = [
            Column(name: ImageColumns.image, label: "Image", attributes: ImageColumns.mime(mimeType), data: .varbinary(images)),
            Column(name: ImageColumns.label, label: "Label", data: .varchar(labels)),
            Column(name: ImageColumns.path, label: "Path", data: .varchar(paths)),
            Column(name: ImageColumns.filename, label: "File name", data: .varchar(names)),
            Column(name: ImageColumns.id, label: "Image ID", data: .int64(ids)),
            Column(name: ImageColumns.size, label: "File size (bytes)", data: .int64(sizes)),
            Column(name: ImageColumns.type, label: "File type", data: .varchar(types)),
        ]
        let extraData: [String: ColumnData] = [
            "WIDTH": .int64(widths), "HEIGHT": .int64(heights), "CHANNELCOUNT": .int64(channels),
            "CHANNELTYPE": .varchar(channelTypes), "DEPTH": .int64(depths),
        ]
        for (option, column) in Self.extraColumns where extras.contains(option) {
            cols.append(Column(name: column, data: extraData[option]!))
        }
        if series {
            cols.append(Column(name: "_slices_", label: "Slices of a DICOM series", data: .int64(sliceCounts)))
            cols.append(Column(name: "_spacing_", label: "Voxel spacing x\\y\\z (mm)", data: .varchar(spacings)))
        }
        for k in dicomKeywords { cols.append(DICOMColumns.column(k, dicomTexts[k] ?? [])) }
        return DataTable(name: name, columns: cols)
    }
}
