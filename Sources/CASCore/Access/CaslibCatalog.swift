import CASStorage
import Foundation

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

    /// Whether `path` (already resolved) is a folder.
    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `path` (resolved) lies inside `root` (resolved).
    public static func isInside(_ path: String, _ root: String) -> Bool {
        let p = resolve(path.isEmpty ? "/" : path), r = resolve(root.isEmpty ? "/" : root)
        return p == r || p.hasPrefix(r + "/")
    }
}

/// The built-in caslibs every user sees: `CASUSER(<user>)` (personal folder) and `Public` (shared).
/// Layout under the server's data root: `casuser/<user>/` and `public/`.
public struct CaslibCatalog: Sendable {
    /// Creates the data folder when missing and makes it private to the server account (0700).
    public static func prepareDataFolder(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try PrivateFiles.makePrivateFolder(path)
    }

    public let dataRoot: String
    /// The identity of `Public` (its access controls are bound to it).
    public let publicId: String

    public init(dataRoot: String, publicId: String = "") {
        self.dataRoot = RealPath.resolve(dataRoot)
        self.publicId = publicId
    }

    public static func personalName(_ user: String) -> String { "CASUSER(\(user))" }

    /// `<data>/casuser/<user>`. Logins refuse invalid user names (`Names`); should one get here anyway
    /// (`..` would be the data root), it maps to a folder that cannot exist rather than to another folder.
    public func personalFolder(_ user: String) -> String {
        Names.problem(user, .user) == nil ? "\(dataRoot)/casuser/\(user)" : "/nonexistent/caslite-invalid-user"
    }

    /// The built-in caslibs visible to `user`, creating their folders on first use.
    public func builtins(for user: String) -> [Caslib] {
        let personal = Caslib(name: Self.personalName(user), path: personalFolder(user),
                              description: "Personal File System Caslib", scope: .personal, owner: user)
        let pub = Caslib(name: "Public", path: "\(dataRoot)/public", description: "Shared and writeable caslib, accessible to all users.",
                         scope: .global, owner: "", id: publicId)
        for c in [personal, pub] {
            try? FileManager.default.createDirectory(atPath: c.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        return [personal, pub]
    }
}
