import CASCore
import CASStorage
import CASWire

/// The `accessControl` action set: grant and deny CAS permissions on global caslibs and tables.
public let accessControlActionSet = ActionSet(
    name: "accessControl",
    summary: "Access controls: grant, deny or remove CAS permissions (ReadInfo, Select, Promote, DropTable, …) on global caslibs and tables, for users and groups; groups of users.",
    actions: [UpdSomeAcsTable.self, UpdSomeAcsCaslib.self, ListAcsData.self,
                                  AddGroup.self, DropGroup.self, ListGroups.self, AddGroupMember.self, RemoveGroupMember.self])

/// One entry of `acs`, declared once for both update actions.
enum ACSEntry {
    static let caslib = P.string("caslib", "Global caslib of the entry.").with { $0.isCasLib = true }
    static let table = P.string("table", "Global table of the entry.").with { $0.isTableName = true }
    static let identity = P.string("identity", "A user name, a group name, or * for every authenticated user.")
    static let identityType = P.string("identityType", "User, or Group for a group of users (accessControl.addGroup) and for *.",
                                       default: "User", allowed: ["User", "Group"])
    static let permType = P.string("permType", "Grant or Deny; Remove deletes the entry.", default: "Grant", allowed: ["Grant", "Deny", "Remove"])
    static let permission = P.string("permission", "A CAS permission (Read, Write and Drop are accepted as aliases, docs/security.md).",
                                     allowed: Permission.acceptedNames)

    static let caslibEntry = [caslib.spec, identity.spec, identityType.spec, permType.spec, permission.spec]
    static let tableEntry = [caslib.spec, table.spec, identity.spec, identityType.spec, permType.spec, permission.spec]

    /// Applies one entry (`onTable`: a table entry) after checking that the caller has ManageAccess there.
    static func apply(_ e: Args, onTable: Bool, index: Int, ctx: ActionContext) async throws -> String {
        let at = "acs[\(index)]"
        let lib = try await ctx.caslib(e[caslib])
        guard lib.scope == .global else {
            throw ActionError(.parameterValue, "Caslib \(lib.name) is not global; access controls apply to global caslibs and their tables.",
                              parameter: "\(at).caslib")
        }
        let object: Securable
        if onTable {
            guard let t = await ctx.server.globals.table(TableKey(caslib: lib.name, name: e[table])),
                  try await ctx.allowed(.readInfo, on: .table(lib, t)) else {
                throw ActionError.notFound("There is no global table \(Names.quote(e[table])) in caslib \(lib.name).", parameter: "\(at).table")
            }
            object = .table(lib, t)
        } else {
            object = .caslib(lib)
        }
        try await ctx.require(.manageAccess, on: object, parameter: at)
        let (who, kind) = try await resolve(e, at: at, ctx: ctx)
        let permissions = Permission.named(e[permission]) ?? []
        if onTable, let p = permissions.first(where: { !$0.appliesToTables }) {
            throw ActionError(.parameterValue, "\(p.rawValue) is a caslib permission; set it with accessControl.updSomeAcsCaslib.",
                              parameter: "\(at).permission")
        }
        let stored = onTable ? permissions.filter(\.appliesToTables) : permissions
        let objectId: String, tableName: String
        switch object {
        case .caslib(let c): (objectId, tableName) = (c.id, "")
        case .table(_, let t): (objectId, tableName) = (t.objectId, t.name)
        }
        do {
            for p in stored {
                if e[permType] == "Remove" {
                    try await ctx.server.store.removeACL(objectId: objectId, identity: who, identityType: kind, permission: p.rawValue)
                } else {
                    try await ctx.server.store.setACL(ACLEntry(objectId: objectId, caslib: lib.name, table: tableName, identity: who,
                                                               identityType: kind, permission: p.rawValue, grant: e[permType] == "Grant"))
                }
            }
        } catch {
            throw ActionError(.internalError, "Cannot store the access control: \(error.message)")
        }
        let whom = who == "*" ? "every authenticated user (*)" : kind == "Group" ? "group \(who)" : who
        return "\(e[permType]) \(stored.map(\.rawValue).joined(separator: ", ")) on \(object.text) for \(whom)"
    }

    /// The entry's identity and identity type as stored: `*` is the group of every authenticated user
    /// (also when sent with `User`, as older caslite versions did); a group must exist and is stored in
    /// its own spelling; a user name must be valid (users need not be stored: `--auth none` servers).
    static func resolve(_ e: Args, at: String, ctx: ActionContext) async throws -> (String, String) {
        let who = e[identity]
        if who == "*" { return ("*", "Group") }
        guard e[identityType] == "Group" else {
            try Names.check(who, .user, parameter: "\(at).identity")
            if try await GroupActions.store(ctx, { try await $0.user(who) == nil ? $0.group(who) : nil }) != nil {
                ctx.warning("\(at): there is no user \(who) but there is a group \(who); this entry is for the user. "
                            + "For the group, send identityType=\"Group\".")
            }
            return (who, "User")
        }
        try Names.check(who, .group, parameter: "\(at).identity")
        guard let g = try await GroupActions.store(ctx, { try await $0.group(who) }) else {
            throw ActionError.notFound("There is no group \(Names.quote(who)) (identityType=\"Group\"); an administrator adds groups "
                                       + "with accessControl.addGroup or `caslite groups add`.", parameter: "\(at).identity")
        }
        return (g.name, "Group")
    }
}
