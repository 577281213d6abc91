import CASWire
import Foundation

/// A named data source: a folder for files (CSV, images, weights) — and, later, a SQLite database
/// for saved tables.
public struct Caslib: Sendable, Equatable {
    public var name: String
    public var path: String
    public var description: String
    public var personal: Bool

    /// Resolves a path relative to this caslib's folder, refusing anything that escapes it
    /// (`..`, absolute paths, symlinks pointing outside).
    public func resolve(_ relative: String, parameter: String = "path") throws(ActionError) -> String {
        if relative.hasPrefix("/") {
            throw ActionError(.accessDenied, "Absolute path '\(relative)' is not allowed; give a path relative to caslib \(name).", parameter: parameter)
        }
        let base = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let full = URL(fileURLWithPath: base).appendingPathComponent(relative).standardizedFileURL.resolvingSymlinksInPath().path
        guard full == base || full.hasPrefix(base + "/") else {
            throw ActionError(.accessDenied, "Path '\(relative)' escapes caslib \(name); paths must stay inside the caslib's folder.", parameter: parameter)
        }
        return full
    }
}

/// The caslibs every session sees: `CASUSER(<user>)` (personal folder) and `Public` (shared).
/// Layout under the server's data root: `casuser/<user>/` and `public/`.
public struct CaslibCatalog: Sendable {
    public let dataRoot: String

    public init(dataRoot: String) {
        self.dataRoot = URL(fileURLWithPath: dataRoot).standardizedFileURL.path
    }

    public static func personalName(_ user: String) -> String { "CASUSER(\(user))" }

    /// The caslibs visible to `user`, creating their folders on first use.
    public func caslibs(for user: String) -> [Caslib] {
        let personal = Caslib(name: Self.personalName(user), path: "\(dataRoot)/casuser/\(user)",
                              description: "Personal File System Caslib", personal: true)
        let pub = Caslib(name: "Public", path: "\(dataRoot)/public", description: "Shared and writeable caslib, accessible to all users.", personal: false)
        for c in [personal, pub] { try? FileManager.default.createDirectory(atPath: c.path, withIntermediateDirectories: true) }
        return [personal, pub]
    }

    /// Finds a caslib by name for `user`: `casuser` and `casuser(<user>)` name the personal one.
    public func caslib(_ name: String, for user: String) throws(ActionError) -> Caslib {
        let all = caslibs(for: user)
        let lower = name.lowercased()
        if lower == "casuser" { return all[0] }
        if let c = all.first(where: { $0.name.lowercased() == lower }) { return c }
        var msg = "Caslib '\(name)' does not exist."
        if let near = NearMiss.suggest(name, among: all.map(\.name) + ["CASUSER"]) { msg += " Did you mean '\(near)'?" }
        throw ActionError(.notFound, msg, parameter: "caslib")
    }
}
