import CASCore
import CASWire
import Logging

/// `builtins.log`: shows logging levels, as CAS's `log` action does. caslite writes one server log
/// (swift-log, to standard error, at the level `caslite serve` started it with); every logger name
/// reports that level, as a CAS logger inherits its level from the root. Levels cannot be changed
/// while the server runs: asking to is refused with a clear error.
struct Log: Action {
    static let name = "log"
    static let summary = "Shows logging levels (caslite's server log has one level, fixed when the server starts)."
    static let logger = P.optionalString("logger", "A logger name; every name reports the server log's level.")
    static let level = P.optionalString(
        "level", "A new level for the logger: refused, the server log's level is fixed when the server starts.",
        allowed: ["all", "trace", "debug", "info", "warn", "error", "fatal", "off", "null"])
    static let parameters = [logger.spec, level.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if args[level] != nil {
            guard ctx.isAdmin else {
                throw ActionError(.accessDenied, "You must be an administrator to set logging levels.", parameter: "level")
            }
            throw ActionError(.badInput, "The logger is immutable: caslite's server log keeps the level it was started with; restart `caslite serve` to change it.",
                              parameter: "level")
        }
        let current = casName(ctx.server.logger.logLevel)
        let name = args[logger] ?? ctx.server.logger.label
        if let given = args[logger] { try Names.check(given, .column, parameter: "logger") }
        ctx.note("Logger: '\(name)', level: '\(current)'.")
        return ValueDict()
    }

    /// CAS's (log4sas) name of a swift-log level.
    static func casName(_ l: Logger.Level) -> String {
        switch l {
        case .trace: "trace"
        case .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error: "error"
        case .critical: "fatal"
        }
    }
}
