import CASCore
import CASWire

/// `builtins.httpAddress`: where the server's HTTP (REST, swat) port listens. CAS answers with its
/// monitor's address; caslite's HTTP port is the REST front end (`caslite serve --http-port`).
/// A server started without one answers with no results and a NOTE saying so.
struct HTTPAddress: Action {
    static let name = "httpAddress"
    static let summary = "Shows the HTTP address of the server (caslite's REST port, when it has one)."
    static let parameters: [ParamSpec] = []

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        guard let e = ctx.server.httpEndpoint.withLock({ $0 }) else {
            ctx.note("This server has no HTTP port; start it with `caslite serve --http-port N` for one.")
            return ValueDict()
        }
        let host = ["0.0.0.0", "::", ""].contains(e.host) ? ServerStatus.hostName() : e.host
        return ["protocol": .string(e.tls ? "https" : "http"), "hostName": .string(host), "port": .int(Int64(e.port))]
    }
}
