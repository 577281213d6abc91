import CASStorage
import CASWire

/// What a permission is checked on: a caslib, or an existing global table in it.
public enum Securable: Sendable {
    case caslib(Caslib)
    case table(Caslib, CASTable)

    public var caslib: Caslib {
        switch self {
        case .caslib(let c), .table(let c, _): c
        }
    }

    /// `table T in caslib C` / `caslib C`, for messages.
    public var text: String {
        switch self {
        case .caslib(let c): "caslib \(c.name)"
        case .table(let c, let t): "table \(t.name) in caslib \(c.name)"
        }
    }
}

/// The one place that decides whether a user may do something with a caslib or a global table.
///
/// Order: administrators may do everything. Personal and session caslibs belong to their owner
/// alone. In a global caslib, its owner and (for a table) the table's owner may do everything. Then
/// the table's entries, then the caslib's; at each level the user's own entries decide first (a deny
/// of the permission wins over a grant), and only when they are silent the entries of the user's
/// groups and of `*`, every authenticated user (a deny from any of them wins over every grant).
/// Otherwise the default: in `Public` every user has `Permission.publicDefaults` on the caslib
/// itself, and nothing on other users' tables. docs/security.md has the table of cases.
public struct AccessControl: Sendable {
    public let store: ServerStore

    public init(store: ServerStore) { self.store = store }

    public func allowed(_ p: Permission, user: String, isAdmin: Bool, on object: Securable) async throws(ActionError) -> Bool {
        if isAdmin { return true }
        let lib = object.caslib
        guard lib.scope == .global else { return lib.owner == user }
        if !lib.owner.isEmpty, lib.owner == user { return true }
        var table: CASTable?
        if case .table(_, let t) = object {
            if t.creator == user { return true }
            table = t
        }
        let ids = [table?.objectId ?? "", lib.id].filter { !$0.isEmpty }
        let entries: [ACLEntry]
        do { entries = try await store.acls(objectIds: ids) } catch {
            throw ActionError(.internalError, "Cannot read access controls: \(error.message)")
        }
        let named = entries.contains { $0.identityType == "Group" && $0.identity != "*" }
        let groups = Set(named ? try await groups(of: user) : [])
        for id in ids {
            let here = entries.filter { $0.objectId == id }
            let own = here.filter { $0.identityType == "User" && $0.identity == user }
            let team = here.filter { $0.identityType == "Group" && ($0.identity == "*" || groups.contains($0.identity)) }
            if let decided = Self.decide(p, own) ?? Self.decide(p, team) { return decided }
        }
        return table == nil && lib.isPublic && Permission.publicDefaults.contains(p)
    }

    /// The groups `user` belongs to now (read at every check: membership changes apply at the next call).
    public func groups(of user: String) async throws(ActionError) -> [String] {
        do { return try await store.groups(of: user) } catch {
            throw ActionError(.internalError, "Cannot read the groups of \(user): \(error.message)")
        }
    }

    /// One set of entries' verdict: a deny of `p` wins, then a grant of anything that grants `p`; nil when silent.
    static func decide(_ p: Permission, _ entries: [ACLEntry]) -> Bool? {
        if entries.contains(where: { !$0.grant && $0.permission == p.rawValue }) { return false }
        let granting = p.grantedBy.map(\.rawValue)
        if entries.contains(where: { $0.grant && granting.contains($0.permission) }) { return true }
        return nil
    }
}

extension AccessControl {
    /// Whether `user` may see a session of `owner`, cancel its calls and end it: its owner and administrators.
    /// The one rule behind `session.listSessions`, `session.endSession` and the web monitor.
    public static func mayManageSession(owner: String, user: String, isAdmin: Bool) -> Bool {
        isAdmin || owner == user
    }

    /// Whether `user` may promote a table whose source is `sourceCaslib` into `lib`: Promote on the caslib, or
    /// LimitedPromote for a table loaded from that caslib. The one rule behind `table.promote`, `casOut promote=`
    /// and the web monitor's Promote button.
    public func mayPromote(into lib: Caslib, sourceCaslib: String, user: String, isAdmin: Bool) async throws(ActionError) -> Bool {
        if sourceCaslib.uppercased() == lib.name.uppercased(), try await allowed(.limitedPromote, user: user, isAdmin: isAdmin, on: .caslib(lib)) {
            return true
        }
        return try await allowed(.promote, user: user, isAdmin: isAdmin, on: .caslib(lib))
    }
}
