import CASWire

/// Collects the cells of one CSV column while the file is read.
///
/// An un-overridden column starts in `.inferring` mode, parsing cells as numbers. Its first non-numeric cell switches
/// it to `.string`; the rows before that (`catchUpRows`) are re-read as text in one short pass at the end
/// (for a text column that is usually zero or one row).
struct CSVColumnBuilder {
    enum Mode: Equatable {
        case inferring  // numeric so far, type not settled
        case double  // settled or overridden numeric
        case int64
        case int32
        case string
        case binary
    }

    var name: String
    var mode: Mode
    /// True when the type came from an override (failures are errors, not a switch to text).
    let overridden: Bool
    var doubles: [Double] = []
    var ints: [Int64?] = []
    var int32s: [Int32?] = []
    var strings: [String?] = []
    var blobs: [[UInt8]?] = []
    /// Rows before this index still need their text (filled by the catch-up pass).
    var catchUpRows = 0

    init(name: String, type: ColumnType?) {
        self.name = name
        overridden = type != nil
        switch type {
        case nil: mode = .inferring
        case .double: mode = .double
        case .int64: mode = .int64
        case .int32: mode = .int32
        case .varchar: mode = .string
        case .varbinary: mode = .binary
        }
    }

    /// Appends one cell. `row` is the 0-based data row, `line` the record's line (for errors).
    mutating func append(_ p: UnsafeBufferPointer<UInt8>, _ f: CSVField, row: Int, line: Int) throws(CSVError) {
        switch mode {
        case .inferring, .double:
            if !f.escaped, let d = CSVNumber.double(p, f.start, f.end) {
                doubles.append(d)
            } else if mode == .inferring {
                mode = .string
                catchUpRows = row
                doubles = []
                strings.reserveCapacity(row + 1)
                strings.append(Self.text(p, f))
            } else {
                throw failure(p, f, line: line, expected: "a number")
            }
        case .int64:
            guard !f.escaped, let v = CSVNumber.int64(p, f.start, f.end) else {
                throw failure(p, f, line: line, expected: "an int64 integer")
            }
            ints.append(v)
        case .int32:
            guard !f.escaped, let v = CSVNumber.int64(p, f.start, f.end), v.map({ Int32(exactly: $0) != nil }) ?? true else {
                throw failure(p, f, line: line, expected: "an int32 integer (-2147483648 to 2147483647)")
            }
            int32s.append(v.map { Int32($0) })
        case .string:
            strings.append(Self.text(p, f))
        case .binary:
            guard let text = Self.text(p, f) else { blobs.append(nil); return }
            guard let bytes = Base64.decode(text.utf8) else {
                throw failure(p, f, line: line, expected: "base64 text for a varbinary column")
            }
            blobs.append(bytes)
        }
    }

    /// A cell absent from a short row.
    mutating func appendMissing() {
        switch mode {
        case .inferring, .double: doubles.append(.nan)
        case .int64: ints.append(nil)
        case .int32: int32s.append(nil)
        case .string: strings.append(nil)
        case .binary: blobs.append(nil)
        }
    }

    /// Called once `guessRows` rows have been seen: a column still numeric stays numeric.
    mutating func settle() {
        if mode == .inferring { mode = .double }
    }

    var data: ColumnData {
        switch mode {
        case .inferring, .double: .double(doubles)
        case .int64: .int64(ints)
        case .int32: .int32(int32s)
        case .string: .varchar(strings)
        case .binary: .varbinary(blobs)
        }
    }

    /// The cell as text: nil for an unquoted empty cell, "" for `""`, doubled quotes collapsed.
    static func text(_ p: UnsafeBufferPointer<UInt8>, _ f: CSVField) -> String? {
        if f.start == f.end { return f.quoted ? "" : nil }
        let raw = UnsafeBufferPointer(rebasing: p[f.start..<f.end])
        guard f.escaped else { return String(decoding: raw, as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            bytes.append(raw[i])
            i += raw[i] == UInt8(ascii: "\"") ? 2 : 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func failure(_ p: UnsafeBufferPointer<UInt8>, _ f: CSVField, line: Int, expected: String) -> CSVError {
        var cell = Self.text(p, f) ?? ""
        if cell.count > 40 { cell = String(cell.prefix(40)) + "…" }
        let why = overridden ? "" : " (the column looked numeric in the rows used to guess types; raise guessRows or override its type)"
        return CSVError("column '\(name)': '\(cell)' is not \(expected)\(why)", line: line)
    }
}
