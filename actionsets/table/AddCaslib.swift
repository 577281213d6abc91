import CASCore
import CASWire

/// `table.addCaslib`: adds a caslib over a folder (session scope by default, or global).
struct AddCaslib: Action {
    static let name = "addCaslib"
    static let summary = """
        Adds a caslib over a folder. Non-administrators may add session caslibs inside their personal folder (casuser/<user>) only; \
        global caslibs (session=False) need the administrator role (docs/security.md).
        """
    static let caslib = P.string("caslib", "Name of the new caslib (letters, digits and '_').").aliases("name")
    static let path = P.string("path", "Folder of the caslib: absolute, or relative to the server's data root (e.g. casuser/<you>/images).")
    static let description = P.optionalString("description", "Description.")
    static let session = P.bool("session", "Session scope (True) or global scope, visible to every session (False; administrators only).", default: true)
    static let activeOnAdd = P.bool("activeOnAdd", "Make it the session's active caslib.", default: true)
    static let createDirectory = P.bool("createDirectory", "Create the folder when it does not exist.", default: false)
    static let dataSource = P.dict("dataSource", "Data source; srcType PATH (files plus a SQLite database for saved tables).", [
        P.string("srcType", "Kind of data source.", default: "PATH", allowed: ["PATH"]).spec,
    ])
    static let subDirectories = P.bool("subDirectories", "Make the files in the folder's subfolders reachable (False, the default as in CAS: "
                                       + "only the files directly in the folder).", default: false).aliases("subDirs")
    static let parameters = [caslib.spec, path.spec, description.spec, session.spec, activeOnAdd.spec, createDirectory.spec, dataSource.spec,
                             subDirectories.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let name = args[caslib]
        try Names.check(name, .caslib, parameter: "caslib")
        if (try? await ctx.caslib(name)) != nil {
            throw ActionError(.alreadyExists, "Caslib \(name) already exists.", parameter: "caslib")
        }
        let global = !args[session]
        let folder = try CaslibPlacement.folder(args[path], owner: ctx.user, isAdmin: ctx.isAdmin, global: global, catalog: ctx.server.caslibs)
        var lib = Caslib(name: name, path: folder, description: args[description] ?? "", scope: global ? .global : .session, owner: ctx.user,
                         subdirectories: args[subDirectories])
        try CaslibFolder.prepare(lib, create: args[createDirectory], given: args[path])
        if global { lib = try await ctx.server.globalCaslibs.add(lib) } else { await ctx.session.addCaslib(lib) }
        if args[activeOnAdd] { await ctx.session.setActiveCaslib(lib.name) }
        ctx.note("caslite added the caslib '\(name)'.")
        return ["CASLibInfo": .table(CaslibRows.table([lib], active: await ctx.session.activeCaslib))]
    }
}
