import Foundation

/// Where a caslib may point, decided here once (`table.addCaslib`, and global caslibs restored at start).
///
/// - A non-administrator may add session caslibs only inside their own personal folder
///   (`<data>/casuser/<user>`); global caslibs (`session=False`) need the administrator role.
/// - No caslib may cover the data root (and so `server.sqlite`), `<data>/casuser`, another user's
///   personal folder, or any other folder of the server's own (`<data>/actionsets`, …): inside the data
///   root only `public/…` and the owner's `casuser/<owner>/…` are allowed. Administrators may use folders
///   outside the data root that do not contain it.
/// - No folder of the path (below the data root, or as given when outside it) may be hidden (`.name`) or
///   named like a caslib's table database (`.caslite*`): a caslib there, or a folder created for it,
///   would shadow its parent's table database or hide files from listings.
public enum CaslibPlacement {
    /// The resolved folder for a new caslib at `given` (absolute, or relative to the data root).
    public static func folder(_ given: String, owner: String, isAdmin: Bool, global: Bool, catalog: CaslibCatalog,
                              parameter: String = "path") throws(ActionError) -> String {
        if given.isEmpty || given.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) || given.utf8.count > 1024 {
            throw ActionError(.parameterValue, "Path \(Names.quote(given)) is not a folder name (empty, too long, or with control characters).",
                              parameter: parameter)
        }
        if global && !isAdmin {
            throw ActionError(.accessDenied, "Only administrators may add global caslibs (session=False); add a session caslib instead.",
                              parameter: "session")
        }
        let root = catalog.dataRoot
        let resolved = RealPath.resolve(given.hasPrefix("/") ? given : "\(root)/\(given)")
        let full = resolved.isEmpty ? "/" : resolved
        let personal = RealPath.resolve(catalog.personalFolder(owner))
        try refuseHidden(given: given, resolved: full, root: root, parameter: parameter)
        if !isAdmin {
            guard RealPath.isInside(full, personal) else {
                throw ActionError(.accessDenied, """
                    Path \(Names.quote(given)) is outside your personal folder; non-administrators may add caslibs only inside \
                    casuser/\(owner) (for example path='casuser/\(owner)/images').
                    """, parameter: parameter)
            }
            return full
        }
        if RealPath.isInside(root, full) {
            throw ActionError(.accessDenied, "Path \(Names.quote(given)) contains the server's data folder; a caslib may not cover it.", parameter: parameter)
        }
        if RealPath.isInside(full, root) {
            let inside = full.dropFirst(root.count + 1)
            let ok = inside == "public" || inside.hasPrefix("public/") || RealPath.isInside(full, personal)
            guard ok else {
                throw ActionError(.accessDenied, """
                    Path \(Names.quote(given)) is one of the server's own folders or another user's personal folder; inside the data folder \
                    a caslib may use public/… or your own casuser/\(owner)/….
                    """, parameter: parameter)
            }
        }
        return full
    }

    /// The rule on hidden folder names, for the part of the path the server decides about.
    static func refuseHidden(given: String, resolved: String, root: String, parameter: String) throws(ActionError) {
        let base = RealPath.resolve(root)
        let parts = resolved.hasPrefix(base + "/")
            ? resolved.dropFirst(base.count + 1).split(separator: "/")
            : given.split(separator: "/").filter { $0 != "." && $0 != ".." }
        if let hidden = parts.first(where: { $0.hasPrefix(".") }) {
            let what = hidden.hasPrefix(".caslite") ? "is named like a caslib's table database" : "is hidden"
            throw ActionError(.parameterValue, """
                Path \(Names.quote(given)): the folder name \(Names.quote(String(hidden))) \(what); caslib folders may not have names \
                starting with '.'.
                """, parameter: parameter)
        }
    }
}

/// The folder of a new caslib on disk (after `CaslibPlacement` approved it).
public enum CaslibFolder {
    /// Checks that the folder exists (creating it, private to the server account, with `create`) and is a folder.
    public static func prepare(_ lib: Caslib, create: Bool, given: String, parameter: String = "path") throws(ActionError) {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: lib.path, isDirectory: &isDir) {
            guard create else {
                throw ActionError(.notFound, "The folder \(Names.quote(given)) does not exist; pass createDirectory=True to create it.", parameter: parameter)
            }
            do { try FileManager.default.createDirectory(atPath: lib.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw ActionError(.badInput, "Cannot create the folder \(Names.quote(given)): \(CaslibPath.reason(error)).", parameter: parameter)
            }
        } else if !isDir.boolValue {
            throw ActionError(.parameterValue, "\(Names.quote(given)) is a file, not a folder.", parameter: parameter)
        }
    }
}
