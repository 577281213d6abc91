import CASCore
import CASWire

/// The `importOptions` parameter list shared by loadTable and upload.
enum ImportOptions {
    static let varParams: [ParamSpec] = [
        P.optionalString("name", "Column name in the file (with getNames) to override.").spec,
        P.optionalInt("index", "1-based column position to override, instead of a name.", min: 1).spec,
        P.optionalString("type", "Column type (varbinary cells are base64 text).", allowed: ["double", "int64", "int32", "varchar", "varbinary"]).spec,
        P.optionalString("rename", "New column name.").spec,
        P.optionalString("label", "Column label.").spec,
        P.optionalString("format", "Column format, e.g. BEST12.").spec,
    ]

    static let param = P.dict("importOptions", "How to read the file.", [
        P.string("fileType", "File format; AUTO picks by extension.", default: "AUTO", allowed: ["AUTO", "CSV"]).spec,
        P.string("delimiter", "Field delimiter (one character).", default: ",").spec,
        P.bool("getNames", "The first row holds column names.", default: true).spec,
        P.dictList("vars", "Per-column overrides of type, name, label and format.", varParams).spec,
    ])

    /// CSV reader options from the validated parameter (defaults when omitted).
    static func csvOptions(_ a: Args?) throws(ActionError) -> CSVOptions {
        var o = CSVOptions()
        guard let a else { return o }
        let delim = Array((a["delimiter"].stringValue ?? ",").utf8)
        guard delim.count == 1 else {
            throw ActionError(.parameterValue, "Parameter 'importOptions.delimiter' must be one single-byte character.", parameter: "importOptions.delimiter")
        }
        o.delimiter = delim[0]
        o.getNames = a["getNames"].boolValue ?? true
        for (i, v) in (a["vars"].listValue ?? []).enumerated() {
            guard v["name"].stringValue != nil || v["index"].intValue != nil else {
                throw ActionError(.parameterMissing, "Parameter 'importOptions.vars[\(i + 1)]' needs a name or an index.", parameter: "importOptions.vars[\(i + 1)]")
            }
            o.columnOverrides.append(CSVColumnOverride(
                name: v["name"].stringValue, index: v["index"].intValue.map { Int($0) - 1 }, rename: v["rename"].stringValue,
                type: v["type"].stringValue.flatMap(ColumnType.init(name:)),
                label: v["label"].stringValue, format: v["format"].stringValue))
        }
        return o
    }

    /// Parses CSV bytes on the CPU pool with progress and cancellation checks.
    static func readCSV(_ bytes: [UInt8], name: String, options: CSVOptions, ctx: ActionContext) async throws -> DataTable {
        let total = bytes.count
        do {
            return try await ctx.cpu {
                try CSVReader.read(bytes, name: name, options: options) { rows in
                    try ctx.checkCancellation()
                    ctx.progress(done: rows, total: 0, unit: "rows", message: "read \(rows) rows of \(total) bytes")
                }
            }
        } catch let e as CSVError {
            throw ActionError(.badInput, "Could not read \(name) as CSV: \(e.description)")
        }
    }
}
