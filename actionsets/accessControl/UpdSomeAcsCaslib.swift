import CASCore
import CASWire

/// `accessControl.updSomeAcsCaslib`: grant, deny or remove permissions on global caslibs (and so on their tables).
struct UpdSomeAcsCaslib: Action {
    static let name = "updSomeAcsCaslib"
    static let summary = "Grants, denies or removes permissions on global caslibs and so on all of their tables (ManageAccess: the owner or an administrator)."
    static let acs = P.dictList("acs", "Entries to apply.", ACSEntry.caslibEntry, required: true)
    static let parameters = [acs.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        for (i, e) in args[acs].enumerated() { ctx.note(try await ACSEntry.apply(e, onTable: false, index: i + 1, ctx: ctx)) }
        return ValueDict()
    }
}
