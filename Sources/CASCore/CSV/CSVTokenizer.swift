import CheckedSize

/// The byte range of one field's content (inside the quotes, if quoted).
struct CSVField {
    var start: Int
    var end: Int
    /// The field was enclosed in double quotes (so `""` is an empty string rather than a missing cell).
    var quoted: Bool
    /// The content contains doubled quotes that must be collapsed.
    var escaped: Bool
}

/// Splits CSV bytes into records of fields without copying. RFC 4180 with CRLF, LF or CR line ends;
/// blank lines between records are skipped (unless `blankLineIsRecord`).
struct CSVTokenizer {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let delimiter: UInt8
    /// Byte offset of the next unread byte.
    private(set) var offset: Int
    /// 1-based line number of `offset`.
    private(set) var line: Int
    /// In a one-column file a blank line is a record with one empty (missing) cell rather than skipped.
    var blankLineIsRecord = false

    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    init(_ bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8, offset: Int = 0, line: Int = 1) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.offset = offset
        self.line = line
    }

    /// Reads the next record into `fields` (replacing its contents). Returns the line the record starts on,
    /// or nil at the end of the input.
    mutating func next(into fields: inout [CSVField]) throws(CSVError) -> Int? {
        fields.removeAll(keepingCapacity: true)
        let n = bytes.count
        if blankLineIsRecord, offset < n, bytes[offset] == Self.lf || bytes[offset] == Self.cr {
            fields.append(CSVField(start: offset, end: offset, quoted: false, escaped: false))
            defer { endLine() }
            return line
        }
        while offset < n, bytes[offset] == Self.lf || bytes[offset] == Self.cr { endLine() }
        guard offset < n else { return nil }
        let startLine = line
        while true {
            if offset < n && bytes[offset] == Self.quote {
                fields.append(try quotedField(recordLine: startLine))
            } else {
                let start = offset
                while offset < n {
                    let b = bytes[offset]
                    if b == delimiter || b == Self.lf || b == Self.cr { break }
                    offset += 1
                }
                fields.append(CSVField(start: start, end: offset, quoted: false, escaped: false))
            }
            if fields.count > Limits.maxColumns {
                throw CSVError("a record has more than \(Limits.maxColumns) fields; a table may have at most \(Limits.maxColumns) columns (is the delimiter right?)", line: startLine)
            }
            if offset >= n { return startLine }
            if bytes[offset] == delimiter {
                offset += 1
                continue
            }
            endLine()
            return startLine
        }
    }

    /// Consumes one line end (CRLF, LF or CR).
    private mutating func endLine() {
        if bytes[offset] == Self.cr && offset + 1 < bytes.count && bytes[offset + 1] == Self.lf { offset += 1 }
        offset += 1
        line += 1
    }

    private mutating func quotedField(recordLine: Int) throws(CSVError) -> CSVField {
        let openLine = line
        offset += 1
        let start = offset
        var escaped = false
        let n = bytes.count
        while true {
            guard offset < n else {
                throw CSVError("unterminated quoted field (the opening quote is on line \(openLine)); close it with \"", line: recordLine)
            }
            let b = bytes[offset]
            if b == Self.quote {
                if offset + 1 < n && bytes[offset + 1] == Self.quote {
                    escaped = true
                    offset += 2
                    continue
                }
                let end = offset
                offset += 1
                if offset < n, bytes[offset] != delimiter, bytes[offset] != Self.lf, bytes[offset] != Self.cr {
                    throw CSVError(
                        "unexpected character '\(Character(Unicode.Scalar(bytes[offset])))' after a closing quote; "
                            + "expected a delimiter or the end of the line (write a quote inside a quoted field as \"\")",
                        line: line)
                }
                return CSVField(start: start, end: end, quoted: true, escaped: escaped)
            }
            if b == Self.lf { line += 1 }
            offset += 1
        }
    }
}
