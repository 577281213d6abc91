import CASCore
import CASWire
import ImageCodec

/// What summarizeImages adds up across chunks.
struct SummaryAccumulator {
    var count = 0
    var types: [String: Int] = [:]
    var minW = Int.max, maxW = 0, minH = Int.max, maxH = 0
    var sumW = 0, sumH = 0
    var channels = ChannelAccumulator()
    var mean = MeanImageAccumulator()

    mutating func add(_ f: SummarizeImages.Facts) throws(ActionError) {
        do throws(ImageCodecError) {
            try channels.merge(f.channels)
            if let img = f.image { try mean.add(img) }
        } catch {
            let param = f.image != nil && error.message.contains("mean image") ? "meanImage" : "image"
            throw ActionError(.badInput, "Parameter '\(param)': \(error.message).", parameter: param)
        }
        count += 1
        types[f.type, default: 0] += 1
        (minW, maxW, minH, maxH) = (min(minW, f.width), max(maxW, f.width), min(minH, f.height), max(maxH, f.height))
        sumW += f.width
        sumH += f.height
    }

    static let ordinals = ["1st", "2nd", "3rd", "4th"]

    /// CAS's `Summary`: Column, count, one count column per type, sizes, then per channel
    /// meanNthChannel, minNthChannel, maxNthChannel, stdNthChannel.
    func summaryTable(column: String) -> DataTable {
        var names: [(String, ColumnType)] = [("Column", .varchar), ("count", .int64)]
        var row: [Value] = [.string(column), .int(Int64(count))]
        for t in types.keys.sorted() {
            names.append((t, .int64))
            row.append(.int(Int64(types[t]!)))
        }
        let sizes: [(String, Value)] = [
            ("minWidth", count > 0 ? .int(Int64(minW)) : .null), ("maxWidth", count > 0 ? .int(Int64(maxW)) : .null),
            ("minHeight", count > 0 ? .int(Int64(minH)) : .null), ("maxHeight", count > 0 ? .int(Int64(maxH)) : .null),
            ("meanWidth", count > 0 ? .double(Double(sumW) / Double(count)) : .null),
            ("meanHeight", count > 0 ? .double(Double(sumH) / Double(count)) : .null),
        ]
        for (n, v) in sizes { names.append((n, .double)); row.append(v) }
        for (k, s) in channels.statistics().enumerated() where k < Self.ordinals.count {
            let o = Self.ordinals[k]
            for (n, v) in [("mean", s.mean), ("min", Double(s.min)), ("max", Double(s.max)), ("std", s.std)] {
                names.append(("\(n)\(o)Channel", .double))
                row.append(.double(v))
            }
        }
        var b = TableBuilder(name: "Summary", columns: names, label: "Summary Statistics of Images")
        b.append(row)
        return b.table
    }
}
