import CASStorage
import CASWire

extension ActionContext {
    /// Whether the caller may do `permission` on a caslib or a global table (the one decision, `AccessControl`).
    public func allowed(_ permission: Permission, on object: Securable) async throws(ActionError) -> Bool {
        try await server.access.allowed(permission, user: user, isAdmin: isAdmin, on: object)
    }

    /// Throws accessDenied (naming the permission, the object and `parameter`) unless the caller has `permission`.
    public func require(_ permission: Permission, on object: Securable, parameter: String? = nil) async throws(ActionError) {
        guard try await allowed(permission, on: object) else {
            let how = if case .table = object { "accessControl.updSomeAcsTable" } else { "accessControl.updSomeAcsCaslib" }
            throw ActionError(.accessDenied,
                              "User \(user) does not have \(permission.rawValue) permission on \(object.text); its owner or an administrator can grant it with \(how).",
                              parameter: parameter)
        }
    }

    /// The one way an action reaches a caslib's files: checks the caslib permission `access` needs and
    /// the path rules (`CaslibPath`), naming `parameter` in every refusal.
    public func path(_ relative: String, in lib: Caslib, for access: FileAccess, parameter: String = "path") async throws(ActionError) -> CaslibPath {
        try await require(access.permission, on: .caslib(lib), parameter: parameter)
        return try CaslibPath(caslib: lib, relative: relative, access: access, parameter: parameter)
    }

    /// The one way an action reaches a caslib's saved tables (`table.save` / `loadTable` / `deleteSource` / `fileInfo`).
    public func savedTables(in lib: Caslib, for access: FileAccess, parameter: String = "caslib") async throws(ActionError) -> SavedTables {
        try await require(access.permission, on: .caslib(lib), parameter: parameter)
        return SavedTables(caslib: lib, access: access, parameter: parameter)
    }
}
