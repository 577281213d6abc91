import CASCore

/// The `accessControl` action set: grant and deny permissions on global caslibs and tables.
public let accessControlActionSet = ActionSet(
    name: "accessControl", summary: "Access controls: grant or deny read, write, drop and promote on global caslibs and tables.",
    alwaysLoaded: true, actions: [UpdSomeAcsTable.self, UpdSomeAcsCaslib.self, ListAcsData.self])

/// Parameters and checks shared by the two update actions.
enum ACS {
    static let entryParams: [ParamSpec] = [
        P.string("caslib", "Caslib of the entry.").with { $0.isCasLib = true }.spec,
        P.string("identity", "User name, or * for every user.").spec,
        P.string("identityType", "Kind of identity (groups are not supported yet).", default: "User", allowed: ["User"]).spec,
        P.string("permType", "Grant or deny; Remove deletes the entry.", default: "Grant", allowed: ["Grant", "Deny", "Remove"]).spec,
        P.string("permission", "The permission.", allowed: ["Read", "Write", "Drop", "Promote"]).spec,
    ]

    /// Applies one entry after checking that the caller may change access controls there.
    static func apply(_ e: Args, table: String, index: Int, ctx: ActionContext) async throws -> String {
        let lib = try await ctx.caslib(e["caslib"].stringValue)
        guard lib.scope == .global else {
            throw ActionError(.parameterValue, "Caslib \(lib.name) is not global; access controls apply to global caslibs and their tables.",
                              parameter: "acs[\(index)].caslib")
        }
        let owner: String
        if table.isEmpty {
            owner = lib.owner
        } else {
            guard let t = await ctx.server.globals.table(TableKey(caslib: lib.name, name: table)) else {
                throw ActionError.notFound("There is no global table \(table) in caslib \(lib.name).", parameter: "acs[\(index)].table")
            }
            owner = t.creator
        }
        guard ctx.isAdmin || (!owner.isEmpty && owner == ctx.user) else {
            throw ActionError(.accessDenied, "Only the owner of \(table.isEmpty ? "caslib \(lib.name)" : "table \(table)") or an administrator can change its access controls.",
                              parameter: "acs[\(index)]")
        }
        let identity = e["identity"].stringValue ?? ""
        let permission = (e["permission"].stringValue ?? "").lowercased()
        let type = e["permType"].stringValue ?? "Grant"
        do {
            if type == "Remove" {
                try await ctx.server.store.removeACL(caslib: lib.name, table: table, identity: identity, permission: permission)
            } else {
                try await ctx.server.store.setACL(ACLEntryValue.make(caslib: lib.name, table: table, identity: identity, permission: permission, grant: type == "Grant"))
            }
        } catch {
            throw ActionError(.internalError, "Cannot store the access control: \(error)")
        }
        return "\(type) \(permission) on \(table.isEmpty ? "caslib \(lib.name)" : "table \(table) in caslib \(lib.name)") for \(identity)"
    }
}
