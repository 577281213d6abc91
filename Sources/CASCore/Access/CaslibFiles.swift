import CASStorage
import CASWire
import Foundation

/// What an action does with a caslib's files, and the caslib permission each needs.
public enum FileAccess: Sendable {
    /// Read file contents or saved tables: Select.
    case read
    /// List files and saved tables: ReadInfo.
    case list
    /// Write files or saved tables (created or replaced): CreateTable.
    case write
    /// Delete one file or one saved table: DeleteSource.
    case delete

    public var permission: Permission {
        switch self {
        case .read: .select
        case .list: .readInfo
        case .write: .createTable
        case .delete: .deleteSource
        }
    }
}

/// A path inside a caslib's folder that the gate (`ActionContext.path(_:in:for:parameter:)`) approved
/// for one kind of access. Its methods are the only file-system calls actions make: nothing else
/// under actionsets/ opens, lists, writes or deletes a file (a test enforces it).
///
/// Rules, decided here once: the path is relative, free of control characters, and stays inside the
/// caslib's folder after every `..` and symbolic link is resolved (also through folders that do not
/// exist yet); no component may name the caslib's table database (`.caslite*`); writes and deletes
/// refuse hidden names; a delete removes one file, never a folder.
public struct CaslibPath: Sendable {
    public let caslib: Caslib
    /// The path as given, relative to the caslib's folder ("" is the folder itself).
    public let relative: String
    public let access: FileAccess
    /// The resolved path on disk (never shown to clients).
    let absolute: String
    /// The caslib's folder, resolved.
    let base: String
    let parameter: String

    init(caslib: Caslib, relative: String, access: FileAccess, parameter: String) throws(ActionError) {
        try Self.checkSyntax(relative, access: access, caslib: caslib, parameter: parameter)
        let base = RealPath.resolve(caslib.path)
        let full = relative.isEmpty ? base : RealPath.resolve(base + "/" + relative)
        guard full == base || full.hasPrefix(base + "/") else {
            throw ActionError(.accessDenied, "Parameter '\(parameter)': path \(Names.quote(relative)) escapes caslib \(caslib.name); paths must stay inside the caslib's folder.",
                              parameter: parameter)
        }
        let inside = full == base ? "" : String(full.dropFirst(base.count + 1))
        if inside.split(separator: "/").contains(where: { $0.hasPrefix(".caslite") }) {
            throw Self.tableDatabase(relative, caslib: caslib, parameter: parameter)
        }
        if !caslib.subdirectories, inside.contains("/") || (!inside.isEmpty && RealPath.isDirectory(full)) {
            throw Self.subfolder(relative, caslib: caslib, parameter: parameter)
        }
        self.caslib = caslib
        self.relative = relative
        self.access = access
        self.absolute = full
        self.base = base
        self.parameter = parameter
    }

    static func subfolder(_ p: String, caslib: Caslib, parameter: String) -> ActionError {
        ActionError(.accessDenied, "Parameter '\(parameter)': path \(Names.quote(p)) is in a subfolder of caslib \(caslib.name), which was added with "
                    + "subDirectories=False; only the files directly in its folder are reachable (add the caslib with subDirectories=True).",
                    parameter: parameter)
    }

    static func tableDatabase(_ p: String, caslib: Caslib, parameter: String) -> ActionError {
        ActionError(.accessDenied, "Parameter '\(parameter)': path \(Names.quote(p)) names caslib \(caslib.name)'s table database, which only table.save and table.loadTable use.",
                    parameter: parameter)
    }

    static func checkSyntax(_ p: String, access: FileAccess, caslib: Caslib, parameter: String) throws(ActionError) {
        let at = "Parameter '\(parameter)': path"
        if p.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw ActionError(.parameterValue, "\(at) \(Names.quote(p)) contains a control character.", parameter: parameter)
        }
        if p.utf8.count > 1024 || p.split(separator: "/").contains(where: { $0.utf8.count > 255 }) {
            throw ActionError(.parameterValue, "\(at) \(Names.quote(p)) is too long (at most 1024 bytes, 255 per folder or file name).", parameter: parameter)
        }
        if p.hasPrefix("/") {
            throw ActionError(.accessDenied, "Parameter '\(parameter)': absolute path \(Names.quote(p)) is not allowed; give a path relative to caslib \(caslib.name).",
                              parameter: parameter)
        }
        let parts = p.split(separator: "/", omittingEmptySubsequences: true)
        if parts.contains(where: { $0.hasPrefix(".caslite") }) { throw tableDatabase(p, caslib: caslib, parameter: parameter) }
        switch access {
        case .read, .list: break
        case .write, .delete:
            if let hidden = parts.first(where: { $0.hasPrefix(".") && $0 != ".." && $0 != "." }) {
                throw ActionError(.parameterValue, "\(at) \(Names.quote(p)): hidden names such as \(Names.quote(String(hidden))) cannot be written or deleted.",
                                  parameter: parameter)
            }
        }
        if access == .delete, parts.isEmpty || parts.last == "." || parts.last == ".." || p.hasSuffix("/") {
            throw ActionError(.parameterValue, "\(at) \(Names.quote(p)) does not name a file; deleteSource deletes one file or one saved table, never a folder.",
                              parameter: parameter)
        }
    }

    func requireAccess(_ a: FileAccess) throws(ActionError) {
        guard access == a else { throw ActionError(.internalError, "\(display) was approved for \(access), not \(a).", parameter: parameter) }
    }

    /// `CASUSER(alice):images/a.png` — how a path is shown in messages (never the server's own paths).
    public var display: String { relative.isEmpty ? caslib.name : "\(caslib.name):\(relative)" }

    /// The resolved path relative to the caslib's folder (`..` and links inside the caslib resolved).
    public var normalized: String { absolute == base ? "" : String(absolute.dropFirst(base.count + 1)) }

    /// Another path of the same caslib (relative to its folder), checked again with the same access.
    public func sibling(_ caslibRelative: String) throws(ActionError) -> CaslibPath {
        try CaslibPath(caslib: caslib, relative: caslibRelative, access: access, parameter: parameter)
    }

    /// A path below this one, checked again with the same access.
    public func child(_ name: String) throws(ActionError) -> CaslibPath {
        try CaslibPath(caslib: caslib, relative: relative.isEmpty ? name : "\(relative)/\(name)", access: access, parameter: parameter)
    }

    // MARK: queries

    public var exists: Bool { FileManager.default.fileExists(atPath: absolute) }
    public var isDirectory: Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: absolute, isDirectory: &isDir) && isDir.boolValue
    }
    public var isFile: Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: absolute, isDirectory: &isDir) && !isDir.boolValue
    }
    /// Size in bytes (0 when missing).
    public var size: Int { ((try? FileManager.default.attributesOfItem(atPath: absolute))?[.size] as? NSNumber)?.intValue ?? 0 }
}

/// One entry of a folder listing.
public struct CaslibFileEntry: Sendable {
    /// Path relative to the caslib's folder.
    public var relative: String
    public var name: String { relative.split(separator: "/").last.map(String.init) ?? relative }
    public var size: Int
    public var modified: Double
    public var isDirectory: Bool
    /// `rwxr-x---` bits.
    public var permissions: Int
    public var owner: String
}

/// A folder listing and what it left out.
public struct CaslibListing: Sendable {
    public var entries: [CaslibFileEntry] = []
    /// Symbolic links not listed because they lead outside the caslib (never followed, never read).
    public var linksOutside = 0

    public init(entries: [CaslibFileEntry] = [], linksOutside: Int = 0) {
        (self.entries, self.linksOutside) = (entries, linksOutside)
    }

    /// The one wording of what was left out, for the action's NOTE or WARNING; nil when nothing was.
    public func skippedNote(_ caslib: Caslib) -> String? {
        guard linksOutside > 0 else { return nil }
        let n = linksOutside == 1 ? "1 entry" : "\(linksOutside) entries"
        return "\(n) outside the caslib \(linksOutside == 1 ? "was" : "were") skipped (symbolic links that lead out of caslib \(caslib.name) are not followed)."
    }
}

// MARK: reading, listing

extension CaslibPath {
    /// The whole file. Refuses folders, missing files and files over `maxBytes`.
    public func read(maxBytes: Int) throws(ActionError) -> [UInt8] {
        try requireAccess(.read)
        guard isFile else { throw ActionError(.notFound, "There is no file \(display).", parameter: parameter) }
        let n = size
        guard n <= maxBytes else {
            throw ActionError(.badInput, "The file \(display) has \(n) bytes, more than the \(maxBytes) this call may read.", parameter: parameter)
        }
        guard let data = FileManager.default.contents(atPath: absolute) else {
            throw ActionError(.notFound, "The file \(display) cannot be read.", parameter: parameter)
        }
        return [UInt8](data)
    }

    /// The entries of this folder (sorted by name; hidden names and the table database skipped), or of
    /// every folder below it with `recursive`. Symbolic links are listed only when they lead to a file
    /// inside the caslib; linked folders are never entered (no cycles, no escapes).
    public func list(recursive: Bool = false, filesOnly: Bool = false) -> [CaslibFileEntry] {
        listing(recursive: recursive, filesOnly: filesOnly).entries
    }

    /// ``list(recursive:filesOnly:)`` and the number of symbolic links it left out because they lead outside
    /// the caslib (or, without subdirectories, into a subfolder): a user who put links in a folder sees why
    /// files are missing (``CaslibListing/skippedNote``).
    public func listing(recursive: Bool = false, filesOnly: Bool = false) -> CaslibListing {
        var out = CaslibListing()
        walk(absolute, recursive: recursive, filesOnly: filesOnly, into: &out)
        out.entries.sort { $0.relative < $1.relative }
        return out
    }

    /// This path's own entry when it names a file or a folder that a listing would show (hidden names,
    /// links leaving the caslib and the table database never); nil otherwise.
    public var entry: CaslibFileEntry? {
        guard access == .list || access == .read, absolute != base,
              !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") && $0 != "." && $0 != ".." }) else { return nil }
        let entry = (base + "/" + relative.split(separator: "/").joined(separator: "/"))
        var outside = false
        return Self.entry(entry, relative: normalized, base: base, outside: &outside)
    }

    private func walk(_ dir: String, recursive: Bool, filesOnly: Bool, into out: inout CaslibListing) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for n in names where !n.hasPrefix(".") {
            let full = dir + "/" + n
            var outside = false
            guard full.hasPrefix(base + "/"),
                  let e = Self.entry(full, relative: String(full.dropFirst(base.count + 1)), base: base, outside: &outside) else {
                if outside { out.linksOutside += 1 }
                continue
            }
            // without subdirectories, a link into a subfolder is out of reach: not listed (so loads skip it)
            if !caslib.subdirectories, RealPath.resolve(full).dropFirst(base.count + 1).contains("/") {
                out.linksOutside += 1
                continue
            }
            if !e.isDirectory || !filesOnly { out.entries.append(e) }
            if e.isDirectory, recursive, caslib.subdirectories { walk(full, recursive: true, filesOnly: filesOnly, into: &out) }
        }
    }

    /// A regular file or folder (a link only when it leads to a file inside the caslib) as a listing entry;
    /// nil otherwise, with `outside` set for a link whose target lies outside the caslib (or in its table database).
    private static func entry(_ full: String, relative rel: String, base: String, outside: inout Bool) -> CaslibFileEntry? {
        let fm = FileManager.default
        guard let attrs = try? fm.attributesOfItem(atPath: full) else { return nil }
        var type = attrs[.type] as? FileAttributeType
        var shown = attrs
        if type == .typeSymbolicLink {
            let target = RealPath.resolve(full)
            guard target.hasPrefix(base + "/"), !target.dropFirst(base.count).contains("/.caslite") else {
                outside = true
                return nil
            }
            guard let t = try? fm.attributesOfItem(atPath: target), t[.type] as? FileAttributeType == .typeRegular else { return nil }
            type = .typeRegular
            shown = t
        }
        let isDir = type == .typeDirectory
        guard isDir || type == .typeRegular else { return nil }
        return CaslibFileEntry(relative: rel, size: (shown[.size] as? NSNumber)?.intValue ?? 0,
                               modified: (shown[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0, isDirectory: isDir,
                               permissions: (shown[.posixPermissions] as? NSNumber)?.intValue ?? 0,
                               owner: shown[.ownerAccountName] as? String ?? "")
    }
}

// MARK: writing, deleting

extension CaslibPath {
    /// Refuses unless a file may be written here: the path names a file (not a folder, no trailing `/`),
    /// and, unless `replace`, nothing exists there yet — the one "create or replace" rule of every action
    /// that writes files (`write(_:replace:)` checks it again when it writes).
    public func checkWritable(replace: Bool) throws(ActionError) {
        try requireAccess(.write)
        let last = relative.split(separator: "/").last
        guard !relative.isEmpty, !relative.hasSuffix("/"), last != ".", last != "..", !isDirectory else {
            throw ActionError(.parameterValue, "\(display) is a folder, not a file name; give a file name without a trailing '/'.", parameter: parameter)
        }
        var st = stat()
        if !replace, exists || lstat(absolute, &st) == 0 {
            throw ActionError(.alreadyExists, "The file \(display) already exists; pass replace=True to overwrite it.", parameter: parameter)
        }
    }

    /// Writes the file (its folders created, private to the server account). With `replace` an older
    /// file is replaced atomically; without, an existing file is refused (also one that appears while
    /// writing: the new file is linked into place, which fails if the name is taken). Folders are never
    /// replaced.
    public func write(_ bytes: [UInt8], replace: Bool) throws(ActionError) {
        try checkWritable(replace: replace)
        let folder = (absolute as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if replace {
                try Data(bytes).write(to: URL(fileURLWithPath: absolute), options: .atomic)
                return
            }
            let temporary = "\(folder)/.caslite-writing-\(UInt64.random(in: 0 ... .max))"
            try Data(bytes).write(to: URL(fileURLWithPath: temporary), options: .withoutOverwriting)
            defer { unlink(temporary) }
            if link(temporary, absolute) != 0 {
                let code = errno
                if code == EEXIST { throw ActionError(.alreadyExists, "The file \(display) already exists; pass replace=True to overwrite it.", parameter: parameter) }
                throw ActionError(.badInput, "Cannot write \(display): \(String(cString: strerror(code))).", parameter: parameter)
            }
        } catch let e as ActionError {
            throw e
        } catch {
            throw ActionError(.badInput, "Cannot write \(display): \(Self.reason(error)).", parameter: parameter)
        }
    }

    /// Writes several files into this folder: every name is checked first (`checkWritable`), so an
    /// existing file (without `replace`) or two outputs with one name refuse the call before anything is
    /// written. Returns the files' caslib-relative paths.
    public func writeFiles(_ files: [(name: String, bytes: [UInt8])], replace: Bool) throws(ActionError) -> [String] {
        var targets: [CaslibPath] = []
        for f in files { targets.append(try child(f.name)) }
        try Self.checkWritable(targets, replace: replace)
        for (t, f) in zip(targets, files) { try t.write(f.bytes, replace: replace) }
        return targets.map(\.relative)
    }

    /// `checkWritable(replace:)` for every output of one call, and no two outputs with one name (which
    /// would silently overwrite each other).
    public static func checkWritable(_ targets: [CaslibPath], replace: Bool) throws(ActionError) {
        var seen = Set<String>()
        for target in targets {
            try target.checkWritable(replace: replace)
            guard seen.insert(target.normalized).inserted else {
                throw ActionError(.parameterValue, "Two outputs of this call would both be written to \(target.display) (rows with the same id?); give each row its own id.",
                                  parameter: target.parameter)
            }
        }
    }

    /// Creates this folder (and the folders above it), private to the server account.
    public func createFolder() throws(ActionError) {
        try requireAccess(.write)
        do { try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw ActionError(.badInput, "Cannot create the folder \(display): \(Self.reason(error)).", parameter: parameter)
        }
    }

    /// Deletes this one file (a symbolic link itself, not its target). Folders are refused; nothing is recursive.
    public func delete() throws(ActionError) {
        try requireAccess(.delete)
        let entry = base + "/" + relative.split(separator: "/").joined(separator: "/")
        var st = stat()
        guard lstat(entry, &st) == 0 else { throw ActionError(.notFound, "There is no file \(display).", parameter: parameter) }
        guard (st.st_mode & S_IFMT) != S_IFDIR, !isDirectory else {
            throw ActionError(.parameterValue, "\(display) is a folder; deleteSource deletes one file or one saved table, never a folder.", parameter: parameter)
        }
        // the link or file itself must lie in the caslib (its parent folders resolved)
        let parent = RealPath.resolve((entry as NSString).deletingLastPathComponent)
        guard parent == base || parent.hasPrefix(base + "/") else {
            throw ActionError(.accessDenied, "Path \(Names.quote(relative)) escapes caslib \(caslib.name).", parameter: parameter)
        }
        guard unlink(parent + "/" + (entry as NSString).lastPathComponent) == 0 else {
            throw ActionError(.badInput, "Cannot delete \(display): \(String(cString: strerror(errno))).", parameter: parameter)
        }
    }

    /// The reason of a file-system error without the server's paths.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        switch ns.code {
        case NSFileWriteOutOfSpaceError: return "no space left on the device"
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or folder"
        case NSFileWriteFileExistsError: return "a file of that name exists"
        case NSFileWriteUnknownError:   // 512: what createDirectory reports when a file is in the way
            return "the file system refused it (a part of the path may be a file rather than a folder, or the folder may not be writable)"
        default: return "the file system refused it (\(ns.domain) error \(ns.code))"
        }
    }
}
