import CASCore
import CASWire

/// `builtins.removeNode`: CAS removes worker machines with it; caslite has none (see AddNode).
struct RemoveNode: Action {
    static let name = "removeNode"
    static let summary = "Removes machines from the server: not supported, caslite runs on one node."
    static let parameters = AddNode.parameters
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { throw AddNode.oneNode("removeNode", "remove") }
}
