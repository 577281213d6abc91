import CASCore
import CASWire

/// `table.dropCaslib`: removes a session or global caslib (its folder and files stay).
struct DropCaslib: Action {
    static let name = "dropCaslib"
    static let summary = "Removes a caslib added with addCaslib; files stay on disk. CASUSER and Public cannot be dropped."
    static let caslib = P.string("caslib", "Caslib to drop.").aliases("name")
    static let quiet = P.bool("quiet", "A missing caslib is not an error.", default: false)
    static let parameters = [caslib.spec, quiet.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib: Caslib
        do { lib = try await ctx.caslib(args[caslib]) } catch {
            if args[quiet] { return ValueDict() }
            throw error
        }
        switch lib.scope {
        case .personal: throw ActionError(.accessDenied, "The personal caslib \(lib.name) cannot be dropped.", parameter: "caslib")
        case .session: await ctx.session.dropCaslib(lib.name)
        case .global:
            guard lib.name != "Public" else { throw ActionError(.accessDenied, "The Public caslib cannot be dropped.", parameter: "caslib") }
            guard ctx.isAdmin || lib.owner == ctx.user else {
                throw ActionError(.accessDenied, "Only the owner of caslib \(lib.name) or an administrator can drop it.", parameter: "caslib")
            }
            try await ctx.server.globalCaslibs.drop(lib.name)
        }
        ctx.note("caslite removed the caslib '\(lib.name)'.")
        if await ctx.session.activeCaslib.uppercased() == lib.name.uppercased() {
            let personal = CaslibCatalog.personalName(ctx.user)
            await ctx.session.setActiveCaslib(personal)
            ctx.note("'\(personal)' is now the active caslib.")
        }
        return ValueDict()
    }
}
