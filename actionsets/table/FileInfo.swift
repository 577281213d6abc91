import CASCore
import CASStorage
import CASWire
import Foundation

/// `table.fileInfo`: files in a caslib folder, and the tables saved in its database.
struct FileInfo: Action {
    static let name = "fileInfo"
    static let summary = "Lists the files in a caslib's folder (or a subfolder) and the tables saved in its database."
    static let caslib = P.caslib()
    static let path = P.string("path", "Subfolder to list, relative to the caslib.", default: "")
    static let allFiles = P.bool("allFiles", "Accepted for CAS compatibility (DLPy sends it): every file is always listed, not only those CAS can load.", default: false)
    static let parameters = [caslib.spec, path.spec, allFiles.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        if lib.scope == .global, lib.name != "Public" { try await ctx.require(.read, caslib: lib, parameter: "caslib") }
        let dir = args[path].isEmpty ? RealPath.resolve(lib.path) : try lib.resolve(args[path])
        let fm = FileManager.default
        var rows: [[Value]] = []
        for name in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() where !name.hasPrefix(".caslite.sqlite") {
            let attrs = (try? fm.attributesOfItem(atPath: "\(dir)/\(name)")) ?? [:]
            let size = (attrs[.size] as? NSNumber)?.int64Value ?? 0
            let perm = (attrs[.posixPermissions] as? NSNumber)?.intValue ?? 0
            let mod = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let isDir = (attrs[.type] as? FileAttributeType) == .typeDirectory
            rows.append([.string(permString(perm, dir: isDir)), .string(attrs[.ownerAccountName] as? String ?? ""), .string(name), .int(size),
                         .string(Session.isoStamp(mod)), .double(mod), .string(isDir ? "folder" : "file")])
        }
        if args[path].isEmpty, fm.fileExists(atPath: lib.databasePath) {
            let db = lib.databasePath, libName = lib.name
            let saved: [StoredTable]
            do { saved = try await ctx.cpu { try TableStore.list(caslib: libName, in: try SQLiteDatabase(path: db)) } } catch let e as StorageError {
                throw ActionError(.badInput, "Caslib \(libName): \(e.message)")
            }
            for t in saved {
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
