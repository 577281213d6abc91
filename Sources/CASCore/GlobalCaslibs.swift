import CASStorage
import CASWire

/// Caslibs added with `session=False`: visible to every session, stored in the server database.
public actor GlobalCaslibs {
    let store: ServerStore
    private var caslibs: [String: Caslib] = [:]

    init(store: ServerStore) { self.store = store }

    /// Restores the stored caslibs with their identities. A stored caslib whose folder breaks today's
    /// placement rules (`CaslibPlacement`; older versions allowed more) is not restored; its name is returned.
    func load(catalog: CaslibCatalog) async throws -> [String] {
        var refused: [String] = []
        for r in try await store.caslibs() {
            do { _ = try CaslibPlacement.folder(r.path, owner: r.owner, isAdmin: true, global: true, catalog: catalog) } catch {
                refused.append(r.name)
                continue
            }
            let id = try await store.ensureObjectId(caslib: r.name)
            caslibs[r.name.uppercased()] = Caslib(name: r.name, path: r.path, description: r.description, scope: .global, owner: r.owner, id: id,
                                                 subdirectories: r.subdirectories)
        }
        return refused
    }

    public func caslib(_ name: String) -> Caslib? { caslibs[name.uppercased()] }
    public func all() -> [Caslib] { caslibs.values.sorted { $0.name < $1.name } }

    /// Adds a global caslib with a fresh identity (access controls left by an older caslib of that name are gone).
    public func add(_ c: Caslib) async throws(ActionError) -> Caslib {
        guard caslibs[c.name.uppercased()] == nil else {
            throw ActionError(.alreadyExists, "A global caslib \(c.name) already exists; drop it first.", parameter: "caslib")
        }
        var lib = c
        do {
            try await store.addCaslib(CaslibRecord(name: c.name, path: c.path, description: c.description, owner: c.owner, subdirectories: c.subdirectories))
            lib.id = try await store.ensureObjectId(caslib: c.name)
        } catch {
            throw ActionError(.alreadyExists, error.message, parameter: "caslib")
        }
        caslibs[c.name.uppercased()] = lib
        return lib
    }

    /// Removes the caslib with its identity and every access control on it and its tables.
    public func drop(_ name: String) async throws(ActionError) {
        do { try await store.dropCaslib(name) } catch { throw ActionError(.internalError, error.message) }
        caslibs[name.uppercased()] = nil
    }
}
