import CASCore
import CASWire

/// The `importOptions` parameter list shared by loadTable and upload.
enum ImportOptions: ParamGroup {
    /// One item of `vars`: a per-column override.
    enum Var: ParamGroup {
        static let name = P.optionalString("name", "Column name in the file (with getNames) to override.")
        static let index = P.optionalInt("index", "1-based column position to override, instead of a name.", min: 1)
        static let type = P.optionalString("type", "Column type (varbinary cells are base64 text; char is read as varchar).",
                                           allowed: ["double", "int64", "int32", "varchar", "char", "varbinary"])
        static let length = P.optionalInt("length", "A character column's length: longer values are cut to it. Ignored for numbers.", min: 1, max: 32_767)
        static let rename = P.optionalString("rename", "New column name.")
        static let label = P.optionalString("label", "Column label.")
        static let format = P.optionalString("format", "Column format, e.g. BEST12.")
        static let parameters = [name.spec, index.spec, type.spec, rename.spec, label.spec, format.spec, length.spec]
    }

    static let fileType = P.string("fileType", """
        File format: AUTO (JSON records — an array of objects or JSON lines — by extension or content, else as CSV), \
        CSV (comma-separated; tab-separated for a .tsv or .tab file, as swat uploads them), or DELIMITED (comma unless delimiter says otherwise). CAS's other types \
        (EXCEL, BASESAS, HDAT, PARQUET, …) are refused: caslite does not read them.
        """, default: "AUTO", allowed: FileType.readable + FileType.casOnly)
    static let delimiter = P.optionalString("delimiter", "Field delimiter (one character); ',' unless fileType AUTO or CSV reads a .tsv or .tab file or a first line of tabs and no commas (tab), or fileType AUTO a first line of '|' and no commas or tabs ('|').")
    static let getNames = P.bool("getNames", "The first row holds column names.", default: true)
    static let vars = P.groupList("vars", "Per-column overrides of type, name, label and format.", Var.self)
    static let varChars = P.bool(
        "varChars", "Accepted for CAS compatibility: CAS reads text as VARCHAR instead of CHAR with it; caslite's text columns are always varchar.",
        default: false)
    static let parameters = [fileType.spec, delimiter.spec, getNames.spec, vars.spec, varChars.spec]

    static let param = P.group("importOptions", "How to read the file.", ImportOptions.self)

    /// CSV reader options from the validated parameter (defaults when omitted), for the file `fileName`
    /// (a path or a file name; nil when unknown). CAS file types caslite does not read are refused here.
    static func csvOptions(_ a: Args, fileName: String?) throws(ActionError) -> CSVOptions {
        var o = CSVOptions()
        let type = a[fileType]
        guard FileType.readable.contains(type) else {
            throw ActionError(.parameterValue, "importOptions.fileType=\(type) is a CAS file type that caslite does not support: \(FileType.supported).",
                              parameter: "importOptions.fileType")
        }
        let tabbed = type != "DELIMITED" && ["tsv", "tab"].contains(fileName.flatMap(FileType.fileExtension) ?? "")
        let delim = Array((a[delimiter] ?? (tabbed ? "\t" : ",")).utf8)
        guard delim.count == 1 else {
            throw ActionError(.parameterValue, "Parameter 'importOptions.delimiter' must be one single-byte character.", parameter: "importOptions.delimiter")
        }
        // a control character (NUL, a line break, …) or the quote cannot separate fields: every record would be one field or broken
        guard delim[0] >= 0x20 && delim[0] != 0x7F && delim[0] != UInt8(ascii: "\"") || delim[0] == UInt8(ascii: "\t") else {
            let shown = delim[0] == UInt8(ascii: "\"") ? "the quote character '\"'" : "control character 0x\(String(delim[0], radix: 16, uppercase: true))"
            throw ActionError(.parameterValue, """
                Parameter 'importOptions.delimiter' cannot be \(shown): fields are separated by a visible character or a tab \
                (',' ';' '|' '\\t' …), and '"' quotes fields.
                """, parameter: "importOptions.delimiter")
        }
        o.delimiter = delim[0]
        o.getNames = a[getNames]
        for (i, v) in a[vars].enumerated() {
            guard v.has(Var.name) || v.has(Var.index) else {
                throw ActionError(.parameterMissing, "Parameter 'importOptions.vars[\(i + 1)]' needs a name or an index.", parameter: "importOptions.vars[\(i + 1)]")
            }
            o.columnOverrides.append(CSVColumnOverride(
                name: v[Var.name], index: v[Var.index].map { $0 - 1 }, rename: v[Var.rename], type: v[Var.type].flatMap(ColumnType.init(name:)),
                label: v[Var.label], format: v[Var.format], length: v[Var.length]))
        }
        return o
    }

    /// The table in `bytes`, read by what they hold — the one place that decides the file type for loadTable
    /// and upload. Refuses what caslite cannot read (a workbook, Parquet, an HTML page, an empty file, …), naming
    /// what the bytes look like and what caslite reads; reads JSON records, or delimited text with `options`
    /// (tab- or pipe-separated when the first line says so: `sniffedDelimiter`). `shown` ("The file 'x.csv'")
    /// and `parameter` (the file's parameter) go into errors.
    static func read(_ bytes: [UInt8], name: String?, tableName: String, options: CSVOptions, _ a: Args,
                     shown: String, parameter: String, ctx: ActionContext) async throws -> DataTable {
        switch FileType.detect(bytes, name: name, sniffText: a[fileType] == "AUTO") {
        case .unsupported(let what):
            throw ActionError(.badInput, "\(shown) looks like \(what), which caslite cannot read: \(FileType.supported).", parameter: parameter)
        case .empty:
            throw ActionError(.badInput, "\(shown) is empty (no bytes, or only blank lines): there is no header or data to load.", parameter: parameter)
        case .json:
            guard a[vars].isEmpty, a[delimiter] == nil else {
                throw ActionError(.parameterValue, "\(shown) holds JSON: importOptions.vars and importOptions.delimiter apply to delimited text only.",
                                  parameter: a[vars].isEmpty ? "importOptions.delimiter" : "importOptions.vars")
            }
            // the parsed values take several times the file's bytes while the columns are built; each
            // column's cells (one per record, present or not) are charged as the column is made
            try ctx.reserve(bytes.count &* 8, for: "Reading JSON records")
            let table = try await ctx.cpu { () throws(ActionError) -> DataTable in
                try JSONRecords.read(bytes, name: tableName, shown: shown, parameter: parameter) { (n: Int) throws(ActionError) in
                    try ctx.reserve(n, for: "the columns of the JSON records")
                }
            }
            try checkNames(table, options: nil, shown: shown, parameter: parameter)
            return table
        case .delimitedText:
            var o = options
            if a[delimiter] == nil, let d = sniffedDelimiter(bytes, fileType: a[fileType]) { o.delimiter = d }
            let table = try await readCSV(bytes, name: tableName, options: o, ctx: ctx)
            try checkNames(table, options: o, shown: shown, parameter: parameter)
            return table
        }
    }

    /// The delimiter the first line shows when none was given: tabs and no commas make it tab-separated
    /// (fileType AUTO or CSV: swat uploads a .tsv as CSV); with fileType AUTO, '|' and no commas or tabs make
    /// it pipe-delimited. nil keeps the delimiter the options chose.
    static func sniffedDelimiter(_ bytes: [UInt8], fileType type: String) -> UInt8? {
        guard type != "DELIMITED" else { return nil }
        let firstLine = bytes.prefix(65_536).prefix { $0 != 0x0A }
        guard !firstLine.contains(UInt8(ascii: ",")) else { return nil }
        if firstLine.contains(0x09) { return 0x09 }
        return type == "AUTO" && firstLine.contains(UInt8(ascii: "|")) ? UInt8(ascii: "|") : nil
    }

    /// Refuses a column name read from the file that no table may have, blaming the file — or the delimiter,
    /// when the name holds tabs that a tab delimiter would have split at.
    static func checkNames(_ table: DataTable, options: CSVOptions?, shown: String, parameter: String) throws(ActionError) {
        for c in table.columns {
            guard let problem = Names.problem(c.name, .column) else { continue }
            if let o = options, o.delimiter != 0x09, c.name.contains("\t") {
                throw ActionError(.parameterValue, """
                    \(shown): the header \(Names.quote(c.name)) holds tabs but fields were split at '\(Unicode.Scalar(o.delimiter))'; \
                    for tab-separated text give importOptions.delimiter="\\t" (fileType AUTO or CSV reads a .tsv file as tab-separated).
                    """, parameter: "importOptions.delimiter")
            }
            throw ActionError(.badInput, "\(shown): the column name \(Names.quote(c.name)) in its header is not valid: \(problem).", parameter: parameter)
        }
    }

    /// Parses CSV bytes on the CPU pool with progress and cancellation checks.
    static func readCSV(_ bytes: [UInt8], name: String, options: CSVOptions, ctx: ActionContext) async throws -> DataTable {
        let total = bytes.count
        do {
            return try await ctx.cpu {
                try CSVReader.read(bytes, name: name, options: options) { rows, read in
                    try ctx.checkCancellation()
                    ctx.progress(done: read, total: total, unit: "bytes", message: "\(rows) rows")
                }
            }
        } catch let e as CSVError {
            throw ActionError(.badInput, "Could not read \(name) as CSV: \(e.description)")
        }
    }
}
