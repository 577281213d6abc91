import CASCore
import CASWire

/// `accessControl.listAcsData`: the access-control entries of a global caslib (or one of its tables).
struct ListAcsData: Action {
    static let name = "listAcsData"
    static let summary = "Lists the access-control entries of a global caslib, or of one of its tables."
    static let caslib = P.string("caslib", "Global caslib.").with { $0.isCasLib = true }
    static let table = P.optionalString("table", "Only this table's entries.").with { $0.isTableName = true }
    static let parameters = [caslib.spec, table.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        let entries: [(String, String, String, String)]
        do {
            entries = try await ctx.server.store.acls(caslib: lib.name, table: args[table]).map {
                ($0.table, $0.identity, $0.permission.capitalized, $0.grant ? "Grant" : "Deny")
            }
        } catch {
            throw ActionError(.internalError, "Cannot read access controls: \(error)")
        }
        let rows: [[Value]] = entries.map { [.string(lib.name), .string($0.0), .string($0.1), "User", .string($0.2), .string($0.3)] }
        return ["AcsData": .table(.result("AcsData", label: "Access Controls for \(lib.name)", columns: [
            ("Caslib", .varchar), ("Table", .varchar), ("Identity", .varchar), ("IdentityType", .varchar), ("Permission", .varchar), ("PermType", .varchar),
        ], rows: rows))]
    }
}
