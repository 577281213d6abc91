import CASWire

/// Writes a table as CSV that ``CSVReader`` reads back to the same cells (given the column types as overrides,
/// since CSV itself carries no types).
///
/// A header row of column names, then one LF-terminated record per row. Missing cells are empty; an empty
/// (non-missing) string is `""`; fields containing the delimiter, a quote, CR or LF are quoted with `""` escapes.
/// Doubles print as integers when integral (below 1e15), otherwise in Swift's shortest round-trip form;
/// varbinary cells are base64.
public enum CSVWriter {
    /// The CSV bytes of `table` (UTF-8, LF line ends), with a header row of column names unless `header` is false.
    public static func write(_ table: DataTable, delimiter: UInt8 = UInt8(ascii: ","), header: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        let columns = table.columns
        guard !columns.isEmpty else { return out }
        if header {
            for (i, c) in columns.enumerated() {
                if i > 0 { out.append(delimiter) }
                appendText(c.name, to: &out, delimiter: delimiter)
            }
            out.append(UInt8(ascii: "\n"))
        }
        for row in 0..<table.rowCount {
            for (i, c) in columns.enumerated() {
                if i > 0 { out.append(delimiter) }
                appendCell(c.data, row, to: &out, delimiter: delimiter)
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    private static func appendCell(_ data: ColumnData, _ row: Int, to out: inout [UInt8], delimiter: UInt8) {
        switch data {
        case .double(let a): if !a[row].isNaN { out.append(contentsOf: format(a[row]).utf8) }
        case .int64(let a): if let v = a[row] { out.append(contentsOf: String(v).utf8) }
        case .int32(let a): if let v = a[row] { out.append(contentsOf: String(v).utf8) }
        case .varchar(let a): if let s = a[row] { appendText(s, to: &out, delimiter: delimiter) }
        case .varbinary(let a): if let b = a[row] { Base64.encode(b, into: &out) }
        }
    }

    /// Integral values without a decimal point; others in the shortest form that parses back to the same double.
    static func format(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    private static func appendText(_ s: String, to out: inout [UInt8], delimiter: UInt8) {
        let quote = UInt8(ascii: "\"")
        let needsQuotes = s.isEmpty || s.utf8.contains { $0 == delimiter || $0 == quote || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            out.append(contentsOf: s.utf8)
            return
        }
        out.append(quote)
        for b in s.utf8 {
            out.append(b)
            if b == quote { out.append(quote) }
        }
        out.append(quote)
    }
}
