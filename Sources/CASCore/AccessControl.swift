import CASStorage
import CASWire

/// Permissions on global caslibs and tables, in CAS's shape.
public enum Permission: String, Sendable, CaseIterable {
    case read, write, drop, promote

    public init?(name: String) { self.init(rawValue: name.lowercased()) }
}

/// Decides whether a user may do something with a global table or caslib.
///
/// Order: administrators and owners may do everything; then a table-level deny, a table-level grant,
/// a caslib-level deny, a caslib-level grant (entries for the user or for `*`, every user); otherwise
/// the default — in `Public` every user may use the caslib itself (files, saved tables) and promote
/// new tables; nothing else is allowed.
public struct AccessControl: Sendable {
    public let store: ServerStore

    public func allowed(_ p: Permission, user: String, isAdmin: Bool, caslib: Caslib, table: String?, tableOwner: String?) async throws(ActionError) -> Bool {
        if isAdmin || (caslib.scope != .global && caslib.owner == user) { return true }
        if let tableOwner, tableOwner == user { return true }
        if caslib.scope == .global, !caslib.owner.isEmpty, caslib.owner == user, table == nil { return true }
        let entries: [ACLEntry]
        do { entries = try await store.acls(caslib: caslib.name) } catch {
            throw ActionError(.internalError, "Cannot read access controls: \(error.message)")
        }
        let mine = entries.filter { ($0.identity == user || $0.identity == "*") && $0.permission == p.rawValue }
        if let table {
            let t = mine.filter { $0.table.uppercased() == table.uppercased() }
            if t.contains(where: { !$0.grant }) { return false }
            if t.contains(where: { $0.grant }) { return true }
        }
        let c = mine.filter { $0.table.isEmpty }
        if c.contains(where: { !$0.grant }) { return false }
        if c.contains(where: { $0.grant }) { return true }
        // Public is shared and writeable: its files and saved tables are everyone's, and anyone may add
        // (promote) a table; reading or changing someone else's global table needs a grant.
        return caslib.name == "Public" && (table == nil || p == .promote)
    }
}
