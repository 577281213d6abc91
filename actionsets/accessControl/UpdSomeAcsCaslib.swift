import CASCore
import CASWire

/// `accessControl.updSomeAcsCaslib`: grant, deny or remove permissions on global caslibs (all their tables).
struct UpdSomeAcsCaslib: Action {
    static let name = "updSomeAcsCaslib"
    static let summary = "Grants, denies or removes permissions on a global caslib and so on all of its tables (owner or administrator only)."
    static let acs = P.dictList("acs", "Entries to apply.", ACS.entryParams, required: true)
    static let parameters = [acs.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        for (i, e) in args[acs].enumerated() { ctx.note(try await ACS.apply(e, table: "", index: i + 1, ctx: ctx)) }
        return ValueDict()
    }
}
