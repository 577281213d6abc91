import CASCore
import CASWire

/// `builtins.removeNode`: CAS removes worker machines with it. caslite has none (one process, one
/// node), so the action refuses with an error that says why.
struct RemoveNode: Action {
    static let name = "removeNode"
    static let summary = "Removes machines from the server: not supported, caslite runs on one node."
    static let node = P.stringList("node", "Host names of the machines to remove.")
    static let parameters = [node.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        throw ActionError(.badInput, "removeNode is not supported on this server: caslite runs as one process on one node (the controller); there are no worker nodes to remove.")
    }
}
