import CASCore
import CASWire
import Synchronization

/// The host for definition files read at start: `builtins.defineActionSet` registers a set with
/// the server; every other action is refused.
final class DefinitionHost: CASLHost {
    let server: ServerContext
    /// Whether owners come from server.sqlite (the server's own folder) or are nil (an operator's folder).
    let storedOwners: Bool
    let defined = Mutex<[String]>([])

    init(server: ServerContext, storedOwners: Bool) {
        self.server = server
        self.storedOwners = storedOwners
    }

    func callAction(_ name: String, _ params: ValueDict) async -> Response {
        let lower = name.lowercased()
        guard lower == "builtins.defineactionset" || lower == "defineactionset" else {
            return Self.failure("only builtins.defineActionSet may be called in an action-set definition file, not \(name)")
        }
        do {
            let valid = try Validator.validate(params, UserActionSetBuilder.parameters)
            var owner: String?
            if storedOwners, let name = valid["name"]?.stringValue {
                owner = try? await server.store.actionSetOwner(name)
            }
            let set = try await UserActionSetBuilder.define(valid, server: server, owner: owner, fromOperatorFolder: !storedOwners)
            defined.withLock { $0.append(set.name) }
            return Response(results: ["name": .string(set.name)])
        } catch {
            return Self.failure(([error.message] + error.details).joined(separator: " "))
        }
    }

    static func failure(_ message: String) -> Response {
        Response(disposition: Disposition(severity: .error, reason: "badParameters", statusCode: ActionError.Code.parameterValue.rawValue,
                                          formattedStatus: message), logs: [LogLine(.error, message)])
    }

    func output(_ line: String) {}

    func saveTable(_ table: DataTable, name: String, caslib: String?, replace: Bool) async throws -> String {
        throw UserActionSetStore.LoadError(file: "", message: "saveresult is not allowed in a definition file")
    }

    var isCancelled: Bool { false }
}
