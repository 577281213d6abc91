import CASCore
import CASWire
import DLEngine
import ImageCodec

/// One explained image of dlHeatMap.
struct HeatMapRow: Sendable {
    var id: String
    var label: String
    var predicted: String
    var base: Double
    var worst: (x: Int, y: Int, p: Double)
    var mask: (w: Int, h: Int)
    var png: [UInt8]

    /// `firstRow`: the table's row number of `table`'s first row (a worker's block: the rows of the blocks before it),
    /// which names an image without an `_id_`.
    static func make(_ engine: Model, _ s: ImageSamples, _ n: Int, levels: [String], mask: (w: Int, h: Int), step: Int,
                     table: DataTable, firstRow: Int = 0) throws -> HeatMapRow {
        let size = s.shape.reduce(1, *), pixels = Array(s.values[(n * size)..<((n + 1) * size)])
        let single = ArrayDataSource(values: pixels, labels: [0], sampleShape: s.shape)
        let predicted = try Trainer.predict(engine, data: single).predicted[0]
        let cls = s.labels[n].flatMap { levels.firstIndex(of: $0) } ?? predicted
        let map = try HeatMap.compute(engine, image: pixels, shape: s.shape, cls: cls, mask: mask, step: step)
        let png = try ImageCodec.encodePNG(try map.overlay(on: pixels, channels: s.shape[2]))
        let id = table.column("_id_").map { LevelText.text($0.data.value(at: s.rows[n])) } ?? String(firstRow + s.rows[n] + 1)
        return HeatMapRow(id: id, label: levels[cls], predicted: levels[predicted], base: Double(map.base),
                          worst: (map.worst.x, map.worst.y, Double(map.worst.p)), mask: mask, png: png)
    }

    /// `id 3: circle, P(true) 0.9312, lowest 0.1200 with the mask at (8, 4)`: its caption on the web monitor.
    var caption: String {
        "id \(id): \(label), P(true) \(Fixed.text(base, 4)), lowest \(Fixed.text(worst.p, 4)) with the mask at (\(worst.x), \(worst.y))"
    }

    static func table(_ rows: [HeatMapRow], target: String) -> DataTable {
        var t = DataTable.result("HeatMaps", columns: [("_id_", .varchar), (target, .varchar), ("I_\(target)", .varchar), ("P_True", .double),
                                                       ("MinMaskedP", .double), ("WorstX", .double), ("WorstY", .double), ("_HeatMap_", .varbinary)],
                                 rows: rows.map { r in
                                     [.string(r.id), .string(r.label), .string(r.predicted), .double(r.base), .double(r.worst.p),
                                      .double(Double(r.worst.x)), .double(Double(r.worst.y)), .blob(r.png)]
                                 })
        t.columns[7].attributes = ["MIMEType": "image/png"]
        return t
    }

    /// The rows `table` wrote (a worker's heat maps), with the mask they used.
    static func rows(_ t: DataTable, mask: (w: Int, h: Int)) throws(ActionError) -> [HeatMapRow] {
        guard t.columns.count == 8, case .varbinary(let pngs) = t.columns[7].data else { throw ActionError(.internalError, "dlHeatMap: a worker's heat maps are unreadable") }
        func text(_ c: Int, _ r: Int) -> String { t.columns[c].data.value(at: r).stringValue ?? "" }
        func number(_ c: Int, _ r: Int) -> Double { t.columns[c].data.double(at: r) ?? .nan }
        return (0..<t.rowCount).map { r in
            HeatMapRow(id: text(0, r), label: text(1, r), predicted: text(2, r), base: number(3, r),
                       worst: (Int(number(5, r)), Int(number(6, r)), number(4, r)), mask: mask, png: pngs[r] ?? [])
        }
    }

    static func info(_ rows: [HeatMapRow], files: [String]) -> DataTable {
        .result("HeatMapInfo", label: "Occlusion heat maps", columns: [("Id", .varchar), ("Label", .varchar), ("PTrue", .double), ("MinMaskedP", .double),
                                                                       ("WorstX", .double), ("WorstY", .double), ("File", .varchar)],
                rows: rows.enumerated().map { i, r in
                    [.string(r.id), .string(r.label), .double(r.base), .double(r.worst.p), .double(Double(r.worst.x)), .double(Double(r.worst.y)),
                     files.indices.contains(i) ? .string(files[i]) : .null]
                })
    }
}
