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
            try await ctx.require(.alterCaslib, on: .caslib(lib), parameter: "caslib")
            // its global tables and every access control on it and them go with it
            let tables = try await ctx.server.globals.dropAll(caslib: lib.name)
            try await ctx.server.globalCaslibs.drop(lib.name)
            if !tables.isEmpty { ctx.note("caslite dropped the global tables of caslib \(lib.name): \(tables.joined(separator: ", ")).") }
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
