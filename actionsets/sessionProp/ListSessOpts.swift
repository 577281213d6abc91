import CASCore
import CASWire

/// `sessionProp.listSessOpts`: every session option and its value.
struct ListSessOpts: Action {
    static let name = "listSessOpts"
    static let summary = "Lists the session options and their current values."
    static let parameters: [ParamSpec] = []
    static let names = ["caslib", "timeout", "logLevel", "metrics"]

    static func value(_ name: String, _ s: Session) async -> Value {
        switch name.lowercased() {
        case "caslib": .string(await s.activeCaslib)
        case "timeout": .int(Int64(await s.timeout))
        case "loglevel": .string(await s.logLevel)
        default: .int(await s.metrics ? 1 : 0)
        }
    }

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        var rows: [[Value]] = []
        for n in names { rows.append([.string(n), .string(await value(n, ctx.session).displayString)]) }
        return ["SessOpts": .table(.result("SessOpts", label: "Session Options", columns: [("Name", .varchar), ("Value", .varchar)], rows: rows))]
    }
}

extension Value {
    var displayString: String { stringValue ?? jsonString }
}
