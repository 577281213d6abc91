import CASCore
import Foundation

/// The files loadImages reads: every regular file under a folder (or one file), sorted by path so
/// `_id_` is stable, with the caslib-relative path and the label folders of each.
/// Only names are held in memory — file contents are read chunk by chunk.
struct ImageFileList: Sendable {
    struct Entry: Sendable {
        /// Absolute path on disk.
        var file: String
        /// Path relative to the caslib's folder (`_path_`).
        var relative: String
        /// Folders between the loaded folder and the file (for negative labelLevels).
        var foldersBelowRoot: [String]
        /// Folders between the caslib's folder and the file (for positive labelLevels).
        var foldersBelowCaslib: [String]
        var filename: String { (relative as NSString).lastPathComponent }
    }

    var entries: [Entry] = []

    /// Lists `path` (a file or folder, relative to `lib`); hidden files (".name") are ignored.
    init(lib: Caslib, path: String, recurse: Bool) throws(ActionError) {
        let root = try lib.resolve(path)
        let base = try lib.resolve("")
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
            throw ActionError(.notFound, "The path '\(path)' does not exist in caslib \(lib.name).", parameter: "path")
        }
        if !isDir.boolValue {
            entries = [Self.entry(root, root: (root as NSString).deletingLastPathComponent, base: base)]
            return
        }
        var files: [String] = []
        Self.walk(root, recurse: recurse, lib: lib, base: base, into: &files)
        files.sort()
        entries = files.map { Self.entry($0, root: root, base: base) }
    }

    /// Regular files under `dir`. Symbolic links are followed only to files inside the caslib
    /// (checked with `Caslib.resolve`); linked folders are not entered (no cycles, no escapes).
    static func walk(_ dir: String, recurse: Bool, lib: Caslib, base: String, into files: inout [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for n in names where !n.hasPrefix(".") {
            let full = dir + "/" + n
            let type = (try? FileManager.default.attributesOfItem(atPath: full))?[.type] as? FileAttributeType
            switch type {
            case .typeDirectory?: if recurse { walk(full, recurse: recurse, lib: lib, base: base, into: &files) }
            case .typeRegular?: files.append(full)
            case .typeSymbolicLink?:
                let rel = full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : n
                var isDir: ObjCBool = false
                if let target = try? lib.resolve(rel), FileManager.default.fileExists(atPath: target, isDirectory: &isDir), !isDir.boolValue {
                    files.append(full)
                }
            default: continue
            }
        }
    }

    static func entry(_ file: String, root: String, base: String) -> Entry {
        func folders(below top: String) -> [String] {
            let rest = file.hasPrefix(top + "/") ? String(file.dropFirst(top.count + 1)) : (file as NSString).lastPathComponent
            return rest.split(separator: "/").dropLast().map(String.init)
        }
        let relative = file.hasPrefix(base + "/") ? String(file.dropFirst(base.count + 1)) : file
        return Entry(file: file, relative: relative, foldersBelowRoot: folders(below: root), foldersBelowCaslib: folders(below: base))
    }

    /// `_label_` for `labelLevels`: n > 0 joins the n folders directly above the file (1 = its
    /// folder); n < 0 joins the first |n| folders below the loaded folder (-1 = the top-level
    /// class folder); 0 gives no label. Fewer folders than asked: those there are; none: missing.
    static func label(_ e: Entry, levels: Int) -> String? {
        let parts: [String]
        if levels > 0 {
            parts = Array(e.foldersBelowCaslib.suffix(levels))
        } else if levels < 0 {
            parts = Array(e.foldersBelowRoot.prefix(-levels))
        } else {
            parts = []
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }
}
