/// What a file holds, decided from its first bytes and its name before the CSV reader sees it, so that
/// loadTable and upload read what they can parse and refuse the rest with a message that says so.
enum FileType: Equatable {
    /// Text the CSV reader reads: CSV, TSV, other delimited text.
    case delimitedText
    /// JSON, read as records when it holds them (``JSONRecords``).
    case json
    /// No bytes, or only blank lines.
    case empty
    /// Anything else, described for the message ("an Excel workbook (.xlsx)").
    case unsupported(String)

    /// What caslite reads, for every refusal.
    static let supported = """
        caslite reads CSV, TSV and other delimited text (importOptions.fileType AUTO, CSV or DELIMITED), \
        JSON records (an array of objects, or JSON lines; fileType AUTO) and its own saved tables (table.save); save the data as CSV first
        """

    /// CAS's `importOptions.fileType` values: the ones caslite reads, then the ones it names and refuses.
    static let readable = ["AUTO", "CSV", "DELIMITED"]
    static let casOnly = ["EXCEL", "XLS", "BASESAS", "HDAT", "SASHDAT", "PARQUET", "ORC", "JMP", "SPSS", "DTA", "DOCUMENT",
                          "IMAGE", "SOUND", "VIDEO", "LASR", "ESP", "FMT"]

    /// Extensions that name a format caslite does not read, whatever the bytes look like.
    static let unsupportedExtensions: [String: String] = [
        "xlsx": "an Excel workbook (.xlsx)", "xlsm": "an Excel workbook (.xlsm)", "xls": "an Excel 97-2003 workbook (.xls)",
        "parquet": "a Parquet file", "orc": "an ORC file", "avro": "an Avro file", "feather": "an Arrow/Feather file", "arrow": "an Arrow file",
        "sas7bdat": "a SAS data set (.sas7bdat)", "sashdat": "a SASHDAT file",
        "dta": "a Stata file (.dta)", "sav": "an SPSS file (.sav)", "jmp": "a JMP file", "zip": "a ZIP archive", "gz": "gzip-compressed data",
        "bz2": "bzip2-compressed data", "xz": "xz-compressed data", "7z": "a 7-Zip archive", "pdf": "a PDF document",
    ]

    /// Extensions of JSON, read as records whatever the first bytes are.
    static let jsonExtensions: Set<String> = ["json", "jsonl", "ndjson"]

    /// Leading bytes of formats caslite does not read.
    static let signatures: [([UInt8], String)] = [
        (Array("PK\u{3}\u{4}".utf8), "a ZIP archive (an Excel .xlsx workbook is one)"), (Array("PK\u{5}\u{6}".utf8), "a ZIP archive"),
        ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], "an Excel 97-2003 workbook (.xls) or another OLE document"),
        (Array("Obj\u{1}".utf8), "an Avro file"),
        (Array("ARROW1".utf8), "an Arrow/Feather file"), (Array("SQLite format 3\u{0}".utf8), "a SQLite database"),
        ([0x89, 0x48, 0x44, 0x46], "an HDF5 file"), ([0x1F, 0x8B], "gzip-compressed data"), (Array("BZh91AY&SY".utf8), "bzip2-compressed data"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz-compressed data"), ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "a 7-Zip archive"),
        ([0x89, 0x50, 0x4E, 0x47], "a PNG image"), ([0xFF, 0xD8, 0xFF], "a JPEG image"), (Array("GIF89a".utf8), "a GIF image"), (Array("GIF87a".utf8), "a GIF image"),
        (Array("%PDF-".utf8), "a PDF document"), ([0x7F, 0x45, 0x4C, 0x46], "an executable (ELF)"),
        ([0xFF, 0xFE], "UTF-16 text (save it as UTF-8)"), ([0xFE, 0xFF], "UTF-16 text (save it as UTF-8)"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC2, 0xEA, 0x81, 0x60, 0xB3, 0x14, 0x11, 0xCF], "a SAS data set (.sas7bdat)"),
    ]

    /// The type of `bytes` (the whole file or its start) named `name` (a path or a file name; nil when unknown).
    /// `sniffText` false (importOptions.fileType CSV or DELIMITED: the user said it is delimited) skips the
    /// JSON check and all but the plainest markup check (an HTML page or XML), which look at the text only:
    /// a CSV header may start with `{`, `[` or `<`. (swat sends fileType CSV for every .csv file.)
    static func detect(_ bytes: some Collection<UInt8>, name: String?, sniffText: Bool = true) -> FileType {
        let head = Array(bytes.prefix(8192))
        for (magic, what) in signatures where head.starts(with: magic) { return .unsupported(what) }
        let parquet = Array("PAR1".utf8)  // at both ends: a CSV may well start with a column PAR1
        if bytes.count >= 8, head.starts(with: parquet), bytes.suffix(4).elementsEqual(parquet) { return .unsupported("a Parquet file") }
        let ext = name.flatMap(Self.fileExtension)
        if let ext, let what = unsupportedExtensions[ext] { return .unsupported(what) }
        var text = head[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }  // a UTF-8 byte-order mark
        text = text.drop(while: { [0x20, 0x09, 0x0A, 0x0D].contains($0) })
        if text.isEmpty, !bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }) { return .empty }
        if head.contains(0) { return .unsupported("binary data (it holds NUL bytes)") }
        if let markup = markup(text, anyTag: sniffText) { return .unsupported(markup) }
        guard sniffText else { return .delimitedText }
        if let ext, jsonExtensions.contains(ext) { return .json }
        return looksLikeJSON(text) ? .json : .delimitedText
    }

    /// `{`, or `[` then a JSON value's first character (`[1,2]`, `[{"a"…`, `[]`): a header such as `[a],b` stays CSV.
    static func looksLikeJSON(_ text: ArraySlice<UInt8>) -> Bool {
        guard let first = text.first else { return false }
        if first == UInt8(ascii: "{") { return true }
        guard first == UInt8(ascii: "[") else { return false }
        guard let next = text.dropFirst().first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return false }
        return Array("{[]\"-0123456789tfn".utf8).contains(next)
    }

    /// What markup text is (an HTML page — often a download that returned an error page — or XML), nil when it is none;
    /// `anyTag`: any `<tag` or `<!…` at the start counts, not only `<html`, `<!DOCTYPE html` and `<?xml`.
    static func markup(_ text: ArraySlice<UInt8>, anyTag: Bool) -> String? {
        let start = String(decoding: text.prefix(16), as: UTF8.self).lowercased()
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") { return "an HTML page (a download that returned a web page instead of the data?)" }
        if start.hasPrefix("<?xml") { return "an XML document" }
        if anyTag, start.hasPrefix("<"), let c = start.dropFirst().first, c.isLetter || c == "!" { return "HTML or XML markup" }
        return nil
    }

    /// The lower-cased extension of the last path component (`data/cars.CSV` → `csv`), nil when there is none.
    static func fileExtension(_ name: String) -> String? {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? ""
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return nil }
        return last[last.index(after: dot)...].lowercased()
    }
}
