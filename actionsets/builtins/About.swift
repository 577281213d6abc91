import CASCore
import CASWire

#if canImport(Glibc)
import Glibc
#endif

/// `builtins.about`: product, version and system information, plus the `server` and `nodestatus`
/// tables of serverStatus (CAS returns them from both; DLPy reads `about()['server'].nodes`).
struct About: Action {
    static let name = "about"
    static let summary = "Shows the product name, version, license and system information."
    static let parameters: [ParamSpec] = []
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        await ServerStatus.results(ctx.server)
    }

    static func info(_ server: ServerContext) -> ValueDict {
        var u = utsname()
        uname(&u)
        func field<T>(_ t: T) -> String { withUnsafeBytes(of: t) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
        var d = ValueDict()
        d["CAS"] = "caslite"
        d["Version"] = .string(ServerContext.version)
        d["VersionLong"] = .string("caslite \(ServerContext.version)")
        d["Copyright"] = "caslite contributors"
        d["ServerTime"] = .string(Session.isoStamp(ServerClock.now))
        d["System"] = ["Hostname": .string(ServerStatus.hostName()), "OS Name": .string(field(u.sysname)),
                       "OS Family": "LIN X64", "OS Release": .string(field(u.release)), "OS Version": .string(field(u.version)),
                       "Model Number": .string(field(u.machine))]
        d["license"] = ["site": "open source", "expires": ""]
        return d
    }
}
