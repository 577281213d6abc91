/// CAS's permissions on global caslibs and tables, with CAS's meaning.
///
/// | permission | on a caslib | on a table |
/// |---|---|---|
/// | ReadInfo | see the caslib, list its files and tables | see that the table exists (tableInfo, columnInfo) |
/// | Select | read its files and saved tables (loadTable, loadImages, dlImportModelWeights) | read rows |
/// | LimitedPromote | promote tables loaded from this caslib into it | — |
/// | Promote | promote any table into it | — |
/// | CreateTable | write files and saved tables into it (save, saveImages, dlExportModel, pictures) | — |
/// | DropTable | drop its global tables | drop the table |
/// | DeleteSource | delete its files and saved tables (deleteSource) | — |
/// | Insert, Update, Delete | change rows of its global tables | change rows (Update: replace the table's contents) |
/// | AlterTable | change columns, labels, attributes of its global tables | the same for this table |
/// | AlterCaslib | drop the caslib | — |
/// | ManageAccess | change its access controls | change the table's access controls |
///
/// A caslib-level entry applies to the caslib and, unless a table-level entry says otherwise, to
/// every table in it. A grant of Select also grants ReadInfo (whoever may read rows may see the table).
public enum Permission: String, Sendable, CaseIterable {
    case readInfo = "ReadInfo"
    case select = "Select"
    case limitedPromote = "LimitedPromote"
    case promote = "Promote"
    case createTable = "CreateTable"
    case dropTable = "DropTable"
    case deleteSource = "DeleteSource"
    case insert = "Insert"
    case update = "Update"
    case delete = "Delete"
    case alterTable = "AlterTable"
    case alterCaslib = "AlterCaslib"
    case manageAccess = "ManageAccess"

    /// The names caslite accepted before it spoke CAS's vocabulary, still accepted by the
    /// accessControl actions (documented in docs/security.md): each stands for several permissions.
    public static let aliases: [(name: String, permissions: [Permission])] = [
        ("Read", [.readInfo, .select]),
        ("Write", [.createTable, .insert, .update, .delete]),
        ("Drop", [.dropTable, .deleteSource]),
    ]

    /// Every name the accessControl actions accept: CAS's permissions, then the aliases.
    public static var acceptedNames: [String] { allCases.map(\.rawValue) + aliases.map(\.name) }

    /// The permissions a name stands for (case-insensitive), or nil for an unknown name.
    public static func named(_ name: String) -> [Permission]? {
        let key = name.lowercased()
        if let p = allCases.first(where: { $0.rawValue.lowercased() == key }) { return [p] }
        return aliases.first { $0.name.lowercased() == key }?.permissions
    }

    /// Permissions that mean something on one table (the others are caslib-only).
    public var appliesToTables: Bool {
        switch self {
        case .readInfo, .select, .dropTable, .insert, .update, .delete, .alterTable, .manageAccess: true
        case .limitedPromote, .promote, .createTable, .deleteSource, .alterCaslib: false
        }
    }

    /// Grants of these permissions also grant `self` (Select implies ReadInfo).
    var grantedBy: Set<Permission> { self == .readInfo ? [.readInfo, .select] : [self] }

    /// What the user may do in `Public` by default, on the caslib itself (not on other users' tables):
    /// it is CAS's "shared and writeable" caslib.
    static let publicDefaults: Set<Permission> = [.readInfo, .select, .limitedPromote, .promote, .createTable, .deleteSource]
}
