import CASCore
import CASWire
import Foundation

/// `table.addCaslib`: adds a caslib over a folder (session scope by default, or global).
struct AddCaslib: Action {
    static let name = "addCaslib"
    static let summary = "Adds a caslib over a folder; non-administrators may only use folders inside the server's data root."
    static let caslib = P.string("caslib", "Name of the new caslib.").aliases("name")
    static let path = P.string("path", "Folder of the caslib: absolute, or relative to the server's data root.")
    static let description = P.optionalString("description", "Description.")
    static let session = P.bool("session", "Session scope (True) or global scope, visible to every session (False).", default: true)
    static let activeOnAdd = P.bool("activeOnAdd", "Make it the session's active caslib.", default: true)
    static let createDirectory = P.bool("createDirectory", "Create the folder when it does not exist.", default: false)
    static let dataSource = P.dict("dataSource", "Data source; srcType PATH (files plus a SQLite database for saved tables).", [
        P.string("srcType", "Kind of data source.", default: "PATH", allowed: ["PATH"]).spec,
    ])
    static let parameters = [caslib.spec, path.spec, description.spec, session.spec, activeOnAdd.spec, createDirectory.spec, dataSource.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let name = args[caslib]
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw ActionError(.parameterValue, "Caslib names use letters, digits and '_'; got '\(name)'.", parameter: "caslib")
        }
        if (try? await ctx.caslib(name)) != nil {
            throw ActionError(.alreadyExists, "Caslib \(name) already exists.", parameter: "caslib")
        }
        let root = ctx.server.caslibs.dataRoot
        let given = args[path]
        let full = RealPath.resolve(given.hasPrefix("/") ? given : "\(root)/\(given)")
        if !ctx.isAdmin, !RealPath.isInside(full, root) {
            throw ActionError(.accessDenied, "Path '\(given)' is outside the server's data root; only administrators may add caslibs elsewhere.", parameter: "path")
        }
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: full, isDirectory: &isDir) {
            guard args[createDirectory] else {
                throw ActionError(.notFound, "The folder '\(given)' does not exist; pass createDirectory=True to create it.", parameter: "path")
            }
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        } else if !isDir.boolValue {
            throw ActionError(.parameterValue, "'\(given)' is a file, not a folder.", parameter: "path")
        }
        let lib = Caslib(name: name, path: full, description: args[description] ?? "", scope: args[session] ? .session : .global, owner: ctx.user)
        if args[session] { await ctx.session.addCaslib(lib) } else { try await ctx.server.globalCaslibs.add(lib) }
        if args[activeOnAdd] { await ctx.session.setActiveCaslib(lib.name) }
        ctx.note("caslite added the caslib '\(name)'.")
        return ["CASLibInfo": .table(CaslibRows.table([lib], active: await ctx.session.activeCaslib))]
    }
}
