import CASCore
import CASWire

/// `table.fileInfo`: files in a caslib folder, and the tables saved in its database.
struct FileInfo: Action {
    static let name = "fileInfo"
    static let summary = "Lists the files in a caslib's folder (or a subfolder) and the tables saved in its database (ReadInfo on the caslib)."
    static let caslib = P.caslib()
    static let path = P.string("path", "Subfolder to list, or one file to describe, relative to the caslib; a path that does not exist is an error.", default: "")
    static let allFiles = P.bool("allFiles", "Accepted for CAS compatibility (DLPy sends it): every file is always listed, not only those CAS can load.", default: false)
    static let parameters = [caslib.spec, path.spec, allFiles.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        let folder = try await ctx.path(args[path], in: lib, for: .list, parameter: "path")
        var listing = CaslibListing()
        if args[path].isEmpty {
            listing = folder.listing()
        } else {
            guard let e = folder.entry else {
                throw ActionError(.notFound, "There is no file or folder \(Names.quote(args[path])) in caslib \(lib.name).", parameter: "path")
            }
            listing = e.isDirectory ? folder.listing() : CaslibListing(entries: [e])
        }
        if let note = listing.skippedNote(lib) { ctx.note(note) }
        let entries = listing.entries
        var rows: [[Value]] = entries.map { e in
            [.string(permString(e.permissions, dir: e.isDirectory)), .string(e.owner), .string(e.name), .int(Int64(e.size)),
             .string(Session.isoStamp(e.modified)), .double(e.modified), .string(e.isDirectory ? "folder" : "file")]
        }
        if args[path].isEmpty {
            let saved = try await ctx.savedTables(in: lib, for: .list)
            for t in try await ctx.cpu({ try saved.list() }) {
                rows.append(["", .string(t.meta.creator), .string(t.name), .int(Int64(t.rows)), .string(Session.isoStamp(t.meta.modified)),
                             .double(t.meta.modified), "saved table"])
            }
        }
        return ["FileInfo": .table(.result("FileInfo", label: "Files in \(lib.name)", columns: [
            ("Permission", .varchar), ("Owner", .varchar), ("Name", .varchar), ("Size", .int64), ("ModTimeFormatted", .varchar),
            ("ModTime", .double), ("Kind", .varchar),
        ], rows: rows))]
    }

    static func permString(_ p: Int, dir: Bool) -> String {
        let chars = Array("rwxrwxrwx")
        return (dir ? "d" : "-") + String((0..<9).map { p & (1 << (8 - $0)) != 0 ? chars[$0] : "-" })
    }
}
