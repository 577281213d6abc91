import CASWire

/// A result table as aligned text: its label, a header, then one line per row (numbers right-aligned).
enum TableText {
    static func render(_ t: DataTable, maxRows: Int = 100) -> String {
        let n = min(t.rowCount, maxRows)
        var cols: [[String]] = []
        var numeric: [Bool] = []
        for c in t.columns {
            cols.append([c.heading] + (0..<n).map { cell(c.data.value(at: $0)) })
            numeric.append(c.type.isNumeric)
        }
        let widths = cols.map { $0.map(\.count).max() ?? 0 }
        var lines: [String] = []
        let title = t.label.isEmpty ? t.name : t.label
        if !title.isEmpty { lines.append(title) }
        for r in 0...n {
            var parts: [String] = []
            for (k, col) in cols.enumerated() {
                let s = col[r]
                let pad = String(repeating: " ", count: widths[k] - s.count)
                parts.append(numeric[k] ? pad + s : s + pad)
            }
            var line = parts.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        if t.rowCount > n { lines.append("… \(t.rowCount - n) more rows") }
        return lines.joined(separator: "\n")
    }

    static func cell(_ v: Value) -> String {
        switch v {
        case .double(let d): d.isNaN || d == d.rounded() ? ValueFormatter.number(d, digits: 6) : NumberText.text(d, digits: 6)
        case .blob(let b): "<\(b.count) bytes>"
        default: ValueFormatter.scalar(v)
        }
    }
}
