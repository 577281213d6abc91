import CASCore
import CASWire

/// `builtins.addNode`: CAS adds worker machines with it. caslite is one process on one machine, so
/// the action exists (swat and scripts find it) and refuses with an error that says why.
struct AddNode: Action {
    static let name = "addNode"
    static let summary = "Adds a machine to the server: not supported, caslite runs on one node."
    static let node = P.stringList("node", "Host names of the machines.")
    static let parameters = [node.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { throw oneNode("addNode", "add") }

    /// The refusal of addNode and removeNode.
    static func oneNode(_ action: String, _ verb: String) -> ActionError {
        ActionError(.badInput, "\(action) is not supported on this server: caslite runs as one process on one node (the controller); there are no worker nodes to \(verb).")
    }
}
