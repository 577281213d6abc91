import CASCore
import CASWire

/// `accessControl.listAcsData`: the access-control entries of a global caslib and of its tables.
struct ListAcsData: Action {
    static let name = "listAcsData"
    static let summary = "Lists the access-control entries of a global caslib and of its tables (those the caller can see), or of one table."
    static let caslib = P.string("caslib", "Global caslib.").with { $0.isCasLib = true }
    static let table = P.optionalString("table", "Only this table's entries.").with { $0.isTableName = true }
    static let parameters = [caslib.spec, table.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        try await ctx.require(.readInfo, on: .caslib(lib), parameter: "caslib")
        var ids: [String] = []
        if let name = args[table] {
            let t = try await ctx.table(TableRef(name: name, caslib: lib.name), parameter: "table", for: .readInfo, rows: false)
            ids = [t.objectId]
        } else {
            ids = [lib.id] + (await ctx.tables(in: lib)).map(\.objectId)
        }
        let entries: [(String, String, String, String, String)]
        do {
            entries = try await ctx.server.store.acls(objectIds: ids.filter { !$0.isEmpty }).map {
                ($0.table, $0.identity, $0.identityType, $0.permission, $0.grant ? "Grant" : "Deny")
            }
        } catch {
            throw ActionError(.internalError, "Cannot read access controls: \(error.message)")
        }
        let rows: [[Value]] = entries.map { [.string(lib.name), .string($0.0), .string($0.1), .string($0.2), .string($0.3), .string($0.4)] }
        return ["AcsData": .table(.result("AcsData", label: "Access Controls for \(lib.name)", columns: [
            ("Caslib", .varchar), ("Table", .varchar), ("Identity", .varchar), ("IdentityType", .varchar), ("Permission", .varchar), ("PermType", .varchar),
        ], rows: rows))]
    }
}
