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

    /// Adds what another accumulator holds (a worker's images, after this one's).
    mutating func merge(_ b: SummaryAccumulator) throws(ActionError) {
        guard b.count > 0 else { return }
        do throws(ImageCodecError) {
            try channels.merge(b.channels)
            try mean.merge(b.mean)
        } catch {
            let param = error.message.contains("mean image") ? "meanImage" : "image"
            throw ActionError(.badInput, "Parameter '\(param)': \(error.message).", parameter: param)
        }
        count += b.count
        for (t, n) in b.types { types[t, default: 0] += n }
        (minW, maxW, minH, maxH) = (min(minW, b.minW), max(maxW, b.maxW), min(minH, b.minH), max(maxH, b.maxH))
        sumW += b.sumW
        sumH += b.sumH
    }

    /// The accumulator and a skip report as a worker's partial (`read` takes it back): a row per number (Key,
    /// Number), per image type (`type:<name>`), per skipped image named (`skip`, Text), and the channel and mean-image
    /// sums (Bytes).
    func partial(skipped: SkipReport) -> DataTable {
        var b = TableBuilder(name: "Images", columns: [("Key", .varchar), ("Number", .int64), ("Text", .varchar), ("Bytes", .varbinary)])
        for (k, v) in [("count", count), ("minW", minW), ("maxW", maxW), ("minH", minH), ("maxH", maxH), ("sumW", sumW), ("sumH", sumH),
                       ("skipped", skipped.count)] {
            b.append([.string(k), .int(Int64(v)), .null, .null])
        }
        for (t, n) in types.sorted(by: { $0.key < $1.key }) { b.append([.string("type:" + t), .int(Int64(n)), .null, .null]) }
        for name in skipped.named { b.append(["skip", .null, .string(name), .null]) }
        b.append(["channels", .null, .null, .blob(channels.encoded)])
        b.append(["mean", .null, .null, .blob(mean.encoded)])
        return b.table
    }

    /// A worker's `partial`.
    static func read(_ p: DataTable) throws(ActionError) -> (SummaryAccumulator, SkipReport) {
        var a = SummaryAccumulator(), skipped = SkipReport(), named: [String] = [], skips = 0
        func bad() -> ActionError { ActionError(.internalError, "summarizeImages: a worker's partial is unreadable") }
        guard p.columns.count == 4 else { throw bad() }
        for r in 0..<p.rowCount {
            guard let key = p.columns[0].data.value(at: r).stringValue else { throw bad() }
            let n = p.columns[1].data.value(at: r).intValue.map { Int($0) }
            switch key {
            case "count": a.count = n ?? 0
            case "minW": a.minW = n ?? .max
            case "maxW": a.maxW = n ?? 0
            case "minH": a.minH = n ?? .max
            case "maxH": a.maxH = n ?? 0
            case "sumW": a.sumW = n ?? 0
            case "sumH": a.sumH = n ?? 0
            case "skipped": skips = n ?? 0
            case "skip": named.append(p.columns[2].data.value(at: r).stringValue ?? "")
            case "channels", "mean":
                guard case .varbinary(let cells) = p.columns[3].data, let bytes = cells[r] else { throw bad() }
                if key == "channels" {
                    guard let c = ChannelAccumulator(encoded: bytes) else { throw bad() }
                    a.channels = c
                } else {
                    guard let m = MeanImageAccumulator(encoded: bytes) else { throw bad() }
                    a.mean = m
                }
            default:
                guard key.hasPrefix("type:"), let n else { throw bad() }
                a.types[String(key.dropFirst(5))] = n
            }
        }
        skipped.add(count: skips, named: named)
        return (a, skipped)
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
