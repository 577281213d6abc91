import CASStorage

/// Builds stored entries (keeps CASStorage types out of the action files' signatures).
enum ACLEntryValue {
    static func make(caslib: String, table: String, identity: String, permission: String, grant: Bool) -> ACLEntry {
        ACLEntry(caslib: caslib, table: table, identity: identity, permission: permission, grant: grant)
    }
}
