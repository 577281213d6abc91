import CASCore
import CASWire

/// `session.timeout`: how long the session survives without a connection.
struct Timeout: Action {
    static let name = "timeout"
    static let summary = "Sets the session's idle time-out in seconds (how long it survives without a connection)."
    static let time = P.int("time", "Time-out in seconds.", default: 3600, min: 1, max: 31_536_000)
    static let uuid = P.optionalString("uuid", "Accepted for compatibility; must be this session's UUID when given.")
    static let parameters = [time.spec, uuid.spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if let u = args[uuid], u.lowercased() != ctx.session.id {
            throw ActionError(.parameterValue, "Parameter 'uuid' must be the current session's UUID (\(ctx.session.id)).", parameter: "uuid")
        }
        await ctx.session.setTimeout(Double(args[time]))
        ctx.note("The session time-out is \(args[time]) seconds.")
        return ["timeout": .int(Int64(args[time]))]
    }
}
