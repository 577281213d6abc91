import CASCore
import CASWire

#if canImport(Glibc)
import Glibc
#endif

/// `builtins.listNodes`: the machines the server runs on. caslite is one process on one machine:
/// one row, the controller.
struct ListNodes: Action {
    static let name = "listNodes"
    static let summary = "Shows the host names used by the server (caslite runs on one node, the controller)."
    static let parameters: [ParamSpec] = []

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let host = ServerStatus.hostName()
        return ["nodelist": .table(.result("nodelist", label: "Node List", columns: [
            ("name", .varchar), ("role", .varchar), ("connected", .varchar), ("IP Address", .varchar),
        ], rows: [[.string(host), "controller", "Yes", .string(address(of: host))]]))]
    }

    /// The first IPv4 address `host` resolves to; empty when it resolves to none.
    static func address(of host: String) -> String {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return "" }
        defer { freeaddrinfo(list) }
        guard let sa = first.pointee.ai_addr else { return "" }
        var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        let ok = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
            var a = sin.pointee.sin_addr
            return inet_ntop(AF_INET, &a, &buf, socklen_t(INET_ADDRSTRLEN)) != nil
        }
        return ok ? buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : ""
    }
}
