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
    /// The identity access controls are bound to (global caslibs; see `ServerStore.objectId`).
    public var id: String
    /// Whether files in the folder's subfolders are reachable (`addCaslib subDirectories=`; CASUSER and
    /// Public: yes). Decided in `CaslibPath`.
    public var subdirectories: Bool

    public init(name: String, path: String, description: String, scope: Scope, owner: String, id: String = "", subdirectories: Bool = true) {
        self.name = name
        self.path = path
        self.description = description
        self.scope = scope
        self.owner = owner
        self.id = id
        self.subdirectories = subdirectories
    }

    public var personal: Bool { scope == .personal }

    /// CAS's shared and writeable caslib (`Permission.publicDefaults`).
    public var isPublic: Bool { scope == .global && owner.isEmpty && name == "Public" }
}
