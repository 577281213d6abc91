import CASStorage
import CASWire
import Foundation

/// A named data source: a folder for files (CSV, images, weights) plus a SQLite database in it
/// (`.caslite.sqlite`) for saved tables.
public struct Caslib: Sendable, Equatable {
    /// Where a caslib is visible.
    public enum Scope: String, Sendable {
        /// `CASUSER(<user>)`: one user's private folder.
        case personal
        /// `Public`, and caslibs added with `session=False`: every session, subject to access controls.
        case global
        /// Added with `session=True`: only the session that added it.
        case session
    }

    public var name: String
    public var path: String
    public var description: String
    public var scope: Scope
    /// The user who owns it (personal and added caslibs); empty for `Public`.
    public var owner: String

    public init(name: String, path: String, description: String, scope: Scope, owner: String) {
        self.name = name
        self.path = path
        self.description = description
        self.scope = scope
        self.owner = owner
    }

    public var personal: Bool { scope == .personal }

    /// The caslib's table database.
    public var databasePath: String { "\(path)/.caslite.sqlite" }

    /// Resolves a path relative to this caslib's folder, refusing anything that escapes it
    /// (`..`, absolute paths, symlinks pointing outside — also through folders that do not exist yet).
    public func resolve(_ relative: String, parameter: String = "path") throws(ActionError) -> String {
        if relative.hasPrefix("/") {
            throw ActionError(.accessDenied, "Absolute path '\(relative)' is not allowed; give a path relative to caslib \(name).", parameter: parameter)
        }
        let base = RealPath.resolve(path)
        let full = RealPath.resolve(base + "/" + relative)
        guard full == base || full.hasPrefix(base + "/") else {
            throw ActionError(.accessDenied, "Path '\(relative)' escapes caslib \(name); paths must stay inside the caslib's folder.", parameter: parameter)
        }
        return full
    }
}

/// Canonical paths: `..` removed and every symlink of the longest existing prefix resolved.
public enum RealPath {
    public static func resolve(_ path: String, depth: Int = 0) -> String {
        let std = URL(fileURLWithPath: path).standardizedFileURL.path
        var head = std
        var tail: [String] = []
        while true {
            if let real = realpath(head, nil) {
                defer { free(real) }
                let r = String(cString: real)
                return ([r == "/" ? "" : r] + tail).joined(separator: "/")
            }
            // A dangling symlink: follow its target so it cannot hide an escape.
            if depth < 40, let target = readLink(head) {
                let parent = head.lastIndex(of: "/").map { String(head[..<$0]) } ?? ""
                let next = target.hasPrefix("/") ? target : parent + "/" + target
                return resolve(([next] + tail).joined(separator: "/"), depth: depth + 1)
            }
            guard let slash = head.lastIndex(of: "/"), head != "/" else { return std }
            tail.insert(String(head[head.index(after: slash)...]), at: 0)
            head = slash == head.startIndex ? "/" : String(head[..<slash])
        }
    }

    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `path` (resolved) lies inside `root` (resolved).
    public static func isInside(_ path: String, _ root: String) -> Bool {
        let p = resolve(path), r = resolve(root)
        return p == r || p.hasPrefix(r + "/")
    }
}

/// The built-in caslibs every user sees: `CASUSER(<user>)` (personal folder) and `Public` (shared).
/// Layout under the server's data root: `casuser/<user>/` and `public/`.
public struct CaslibCatalog: Sendable {
    public let dataRoot: String

    public init(dataRoot: String) {
        self.dataRoot = RealPath.resolve(dataRoot)
    }

    public static func personalName(_ user: String) -> String { "CASUSER(\(user))" }

    /// The built-in caslibs visible to `user`, creating their folders on first use.
    public func builtins(for user: String) -> [Caslib] {
        let personal = Caslib(name: Self.personalName(user), path: "\(dataRoot)/casuser/\(user)",
                              description: "Personal File System Caslib", scope: .personal, owner: user)
        let pub = Caslib(name: "Public", path: "\(dataRoot)/public", description: "Shared and writeable caslib, accessible to all users.",
                         scope: .global, owner: "")
        for c in [personal, pub] { try? FileManager.default.createDirectory(atPath: c.path, withIntermediateDirectories: true) }
        return [personal, pub]
    }
}
