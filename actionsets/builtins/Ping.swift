import CASCore
import CASWire

/// `builtins.ping`: the cheapest round trip.
struct Ping: Action {
    static let name = "ping"
    static let summary = "Sends a ping to the server; returns nothing."
    static let parameters: [ParamSpec] = []
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { ValueDict() }
}
