import CASCore
import CASWire

/// `table.promote`: gives a session table global scope (refuses to replace an existing global table).
struct Promote: Action {
    static let name = "promote"
    static let summary = "Promotes a session-scope table to global scope so that other sessions can read it."
    static let tableName = P.string("name", "Session table to promote.").with { $0.isTableName = true }.aliases("table")
    static let caslib = P.caslib()
    static let target = P.optionalString("target", "Name of the global table; the same name when omitted.")
    static let drop = P.bool("drop", "Drop the session copy after promoting.", default: true)
    static let parameters = [tableName.spec, caslib.spec, target.spec, drop.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        let key = TableKey(caslib: lib.name, name: args[tableName])
        let t = try await ctx.promote(key, in: lib, as: args[target], keepSessionCopy: !args[drop])
        ctx.note("Promoted table \(t.name) in caslib \(lib.name) to global scope.")
        return ["caslib": .string(lib.name), "tableName": .string(t.name)]
    }
}
