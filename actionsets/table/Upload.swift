import CASCore
import CASWire
import Foundation

/// `table.upload`: parses file bytes sent by the client into a table.
struct Upload: Action {
    static let name = "upload"
    static let summary = "Creates a table from the bytes of a CSV, TSV or other delimited text file, or of JSON records, sent by the client."
    static let data = P.blob("data", "The file's bytes (base64 in JSON).")
    static let fileName = P.optionalString("fileName", "Original file name, used to name the table when casOut has no name.")
    static let casOut = P.outTable("casOut", "Output table.")
    static let parameters = [data.spec, fileName.spec, ImportOptions.param.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let bytes = args[data] ?? []
        let defaultName = args[fileName].map(tableName(forFile:)) ?? "UPLOAD"
        let options = try ImportOptions.csvOptions(args[ImportOptions.param], fileName: args[fileName])
        let table = try await ImportOptions.read(bytes, name: args[fileName], tableName: defaultName, options: options, args[ImportOptions.param],
                                                 shown: args[fileName].map { "The upload \(Names.quote($0))" } ?? "The upload", parameter: "data", ctx: ctx)
        let stored = try await ctx.store(table, out: args[casOut], defaultName: defaultName)
        ctx.note("Uploaded \(bytes.count) bytes to table \(stored.name) in caslib \(stored.caslib) (\(stored.rowCount) rows, \(stored.data.columns.count) columns).")
        return ["caslib": .string(stored.caslib), "tableName": .string(stored.name), "OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// The table name for an uploaded file, as CAS names it: the last component's stem, upper case
    /// (`../../x.csv` → `X`, `/etc/passwd` → `PASSWD`, `C:\\data\\cars.csv` → `CARS`); `UPLOAD` when nothing is left.
    static func tableName(forFile name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var stem = last
        if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = String(stem[..<dot]) }
        stem = stem.trimmingCharacters(in: CharacterSet(charactersIn: ".").union(.whitespaces))
        return stem.isEmpty ? "UPLOAD" : stem.uppercased()
    }
}
