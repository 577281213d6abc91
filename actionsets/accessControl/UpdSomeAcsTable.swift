import CASCore
import CASWire

/// `accessControl.updSomeAcsTable`: grant, deny or remove permissions on global tables.
struct UpdSomeAcsTable: Action {
    static let name = "updSomeAcsTable"
    static let summary = "Grants, denies or removes permissions on global tables (ManageAccess: the owner or an administrator)."
    static let acs = P.dictList("acs", "Entries to apply.", ACSEntry.tableEntry, required: true)
    static let parameters = [acs.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        for (i, e) in args[acs].enumerated() { ctx.note(try await ACSEntry.apply(e, onTable: true, index: i + 1, ctx: ctx)) }
        return ValueDict()
    }
}
