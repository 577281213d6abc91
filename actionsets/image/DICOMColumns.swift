import CASWire

/// The DICOM elements loadImages' `addColumns` offers: the keyword is both the option and the column
/// name (as pydicom names them). Values are read from each DICOM file; other rows get missing values.
enum DICOMColumns {
    /// How a keyword's text becomes a cell.
    enum Kind: Sendable {
        /// The text as DICOM has it (several values joined by `\`, e.g. `-100\-120.5\33.75`).
        case text
        /// An integer string (IS, US): int64.
        case integer
        /// A decimal string (DS): double; the first value when there are several (WindowCenter `40\-600` → 40).
        case number
    }

    /// The keywords, in column order. PatientName and PatientID identify a person: only when asked for.
    static let keywords: [(keyword: String, kind: Kind)] = [
        ("Modality", .text), ("SeriesInstanceUID", .text), ("InstanceNumber", .integer), ("ImagePositionPatient", .text),
        ("ImageOrientationPatient", .text), ("PixelSpacing", .text), ("SliceThickness", .number), ("WindowCenter", .number),
        ("WindowWidth", .number), ("Rows", .integer), ("Columns", .integer), ("PatientName", .text), ("PatientID", .text),
    ]

    /// The requested keywords among `options` (addColumns, already in the allowed spelling), in column order.
    static func requested(_ options: Set<String>) -> [String] {
        keywords.map(\.keyword).filter(options.contains)
    }

    /// The column of `keyword` from one text per row.
    static func column(_ keyword: String, _ texts: [String?]) -> Column {
        let kind = keywords.first { $0.keyword == keyword }?.kind ?? .text
        switch kind {
        case .text: return Column(name: keyword, data: .varchar(texts))
        case .integer: return Column(name: keyword, data: .int64(texts.map { $0.flatMap { Int64(firstValue($0)) } }))
        case .number: return Column(name: keyword, data: .double(texts.map { $0.flatMap { Double(firstValue($0)) } ?? .nan }))
        }
    }

    /// The first of `\`-separated values, without DICOM's space padding.
    static func firstValue(_ text: String) -> String {
        let first = text.split(separator: "\\", omittingEmptySubsequences: false).first ?? ""
        return String(first.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
