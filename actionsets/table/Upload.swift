import CASCore
import CASWire

/// `table.upload`: parses file bytes sent by the client into a table.
struct Upload: Action {
    static let name = "upload"
    static let summary = "Creates a table from CSV file bytes sent by the client."
    static let data = P.blob("data", "The file's bytes (base64 in JSON).")
    static let fileName = P.optionalString("fileName", "Original file name, used to name the table when casOut has no name.")
    static let casOut = P.outTable("casOut", "Output table.")
    static let parameters = [data.spec, fileName.spec, ImportOptions.param.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let bytes = args[data] ?? []
        let defaultName = args[fileName].map(LoadTable.tableName(forPath:)) ?? "UPLOAD"
        let options = try ImportOptions.csvOptions(args[ImportOptions.param])
        let table = try await ImportOptions.readCSV(bytes, name: defaultName, options: options, ctx: ctx)
        let stored = try await ctx.store(table, out: args[casOut], defaultName: defaultName)
        ctx.note("Uploaded \(bytes.count) bytes to table \(stored.name) in caslib \(stored.caslib) (\(stored.rowCount) rows, \(stored.data.columns.count) columns).")
        return ["caslib": .string(stored.caslib), "tableName": .string(stored.name)]
    }
}
