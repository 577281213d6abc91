import CASStorage
import CASWire

/// Caslibs added with `session=False`: visible to every session, stored in the server database.
public actor GlobalCaslibs {
    let store: ServerStore
    private var caslibs: [String: Caslib] = [:]

    init(store: ServerStore) { self.store = store }

    func load() async throws {
        for r in try await store.caslibs() {
            caslibs[r.name.uppercased()] = Caslib(name: r.name, path: r.path, description: r.description, scope: .global, owner: r.owner)
        }
    }

    public func caslib(_ name: String) -> Caslib? { caslibs[name.uppercased()] }
    public func all() -> [Caslib] { caslibs.values.sorted { $0.name < $1.name } }

    public func add(_ c: Caslib) async throws(ActionError) {
        guard caslibs[c.name.uppercased()] == nil else {
            throw ActionError(.alreadyExists, "A global caslib \(c.name) already exists; drop it first.", parameter: "caslib")
        }
        do { try await store.addCaslib(CaslibRecord(name: c.name, path: c.path, description: c.description, owner: c.owner)) } catch {
            throw ActionError(.alreadyExists, error.message, parameter: "caslib")
        }
        caslibs[c.name.uppercased()] = c
    }

    public func drop(_ name: String) async throws(ActionError) {
        do { try await store.dropCaslib(name) } catch { throw ActionError(.internalError, error.message) }
        caslibs[name.uppercased()] = nil
    }
}
