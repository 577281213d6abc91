import CASCore
import CASWire

/// `accessControl.updSomeAcsTable`: grant, deny or remove permissions on global tables.
struct UpdSomeAcsTable: Action {
    static let name = "updSomeAcsTable"
    static let summary = "Grants, denies or removes permissions on global tables (owner or administrator only)."
    static let acs = P.dictList("acs", "Entries to apply.", ACS.entryParams + [P.string("table", "Global table of the entry.").with { $0.isTableName = true }.spec], required: true)
    static let parameters = [acs.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        for (i, e) in args[acs].enumerated() {
            ctx.note(try await ACS.apply(e, table: e["table"].stringValue ?? "", index: i + 1, ctx: ctx))
        }
        return ValueDict()
    }
}
