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
/// alone. In a global caslib, its owner and (for a table) the table's owner may do everything; then
/// a table-level deny, a table-level grant, a caslib-level deny, a caslib-level grant (entries for the
/// user or for `*`, every user); otherwise the default: in `Public` every user has
/// `Permission.publicDefaults` on the caslib itself, and nothing on other users' tables.
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
        let ids = [lib.id] + (table.map { [$0.objectId] } ?? [])
        let entries: [ACLEntry]
        do { entries = try await store.acls(objectIds: ids.filter { !$0.isEmpty }) } catch {
            throw ActionError(.internalError, "Cannot read access controls: \(error.message)")
        }
        let mine = entries.filter { $0.identityType == "User" && ($0.identity == user || $0.identity == "*") }
        if let table, !table.objectId.isEmpty, let decided = Self.decide(p, mine.filter { $0.objectId == table.objectId }) { return decided }
        if let decided = Self.decide(p, mine.filter { $0.objectId == lib.id }) { return decided }
        return table == nil && lib.isPublic && Permission.publicDefaults.contains(p)
    }

    /// One level's verdict: a deny of `p` wins, then a grant of anything that grants `p`; nil when silent.
    static func decide(_ p: Permission, _ entries: [ACLEntry]) -> Bool? {
        if entries.contains(where: { !$0.grant && $0.permission == p.rawValue }) { return false }
        let granting = p.grantedBy.map(\.rawValue)
        if entries.contains(where: { $0.grant && granting.contains($0.permission) }) { return true }
        return nil
    }
}
