import CASCore
import Foundation

/// The files loadImages reads: every regular file under a folder (or one file), sorted by path so
/// `_id_` is stable, with the caslib-relative path and the label folders of each.
/// Only names are held in memory — file contents are read chunk by chunk.
struct ImageFileList: Sendable {
    struct Entry: Sendable {
        /// The file, approved for reading by the gate.
        var file: CaslibPath
        /// Path relative to the caslib's folder (`_path_`).
        var relative: String
        /// Size in bytes when listed.
        var size: Int
        /// Folders between the loaded folder and the file (for negative labelLevels).
        var foldersBelowRoot: [String]
        /// Folders between the caslib's folder and the file (for positive labelLevels).
        var foldersBelowCaslib: [String]
        var filename: String { (relative as NSString).lastPathComponent }
    }

    var entries: [Entry] = []

    /// Lists `folder` (a file or folder of a caslib, approved for reading); hidden files (".name") are
    /// ignored; links are followed only to files inside the caslib (the gate's listing rules).
    init(_ folder: CaslibPath, recurse: Bool) throws(ActionError) {
        guard folder.exists else {
            throw ActionError(.notFound, "The path \(Names.quote(folder.relative)) does not exist in caslib \(folder.caslib.name).", parameter: "path")
        }
        if folder.isFile {
            let rel = folder.normalized
            entries = [Self.entry(folder, rel, size: folder.size, root: (rel as NSString).deletingLastPathComponent)]
            return
        }
        let root = folder.normalized
        let listing = folder.listing(recursive: recurse, filesOnly: true)
        entries = try listing.entries.map { (e) throws(ActionError) -> Entry in
            Self.entry(try folder.sibling(e.relative), e.relative, size: e.size, root: root)
        }
        skippedNote = listing.skippedNote(folder.caslib)
    }

    /// What the listing left out (symbolic links leading outside the caslib), worded by the gate; nil when nothing.
    var skippedNote: String?

    static func entry(_ file: CaslibPath, _ relative: String, size: Int, root: String) -> Entry {
        func folders(below top: String) -> [String] {
            let rest = top.isEmpty ? relative : (relative.hasPrefix(top + "/") ? String(relative.dropFirst(top.count + 1)) : (relative as NSString).lastPathComponent)
            return rest.split(separator: "/").dropLast().map(String.init)
        }
        return Entry(file: file, relative: relative, size: size, foldersBelowRoot: folders(below: root), foldersBelowCaslib: folders(below: ""))
    }

    /// `_label_` for `labelLevels`: n > 0 joins the n folders directly above the file (1 = its
    /// folder); n < 0 joins the first |n| folders below the loaded folder (-1 = the top-level
    /// class folder); 0 gives no label. Fewer folders than asked: those there are; none: missing.
    static func label(_ e: Entry, levels: Int) -> String? {
        let parts: [String]
        if levels > 0 {
            parts = Array(e.foldersBelowCaslib.suffix(levels))
        } else if levels < 0 {
            parts = Array(e.foldersBelowRoot.prefix(levels == Int.min ? Int.max : -levels))
        } else {
            parts = []
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }
}
