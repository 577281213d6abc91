import CASCore
import CASWire

/// `sessionProp.setSessOpt`: sets session options.
struct SetSessOpt: Action {
    static let name = "setSessOpt"
    static let summary = "Sets session options: active caslib, time-out, log level, metrics."
    static let caslib = P.caslib("caslib", "Caslib to make active.")
    static let timeout = P.optionalInt("timeout", "Idle time-out in seconds.", min: 1, max: 31_536_000)
    static let logLevel = P.optionalString("logLevel", "Lowest level of log lines sent back.", allowed: ["note", "warning", "error"])
    static let metrics = P.optionalBool("metrics", "Print timing NOTE lines after every action (TRUE/FALSE).")
    static let cmplib = P.value("cmplib", "Tables of compiled FCMP functions (fcmpact.addRoutines), \"caslib.table\" or a list; deepLearn's fcmpLearningRate looks there.")
    static let parameters = [caslib.spec, timeout.spec, logLevel.spec, metrics.spec, cmplib.spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        if let c = args[caslib] {
            let lib = try await ctx.caslib(c)
            await ctx.session.setActiveCaslib(lib.name)
            ctx.note("'\(lib.name)' is now the active caslib.")
        }
        if let t = args[timeout] { await ctx.session.setTimeout(Double(t)) }
        if let l = args[logLevel] { await ctx.session.setLogLevel(l) }
        if let m = args[metrics] { await ctx.session.setMetrics(m) }
        if !args[cmplib].isNull {
            let names = args[cmplib].listValue?.compactMap(\.stringValue) ?? args[cmplib].stringValue.map { $0.split(separator: " ").map(String.init) } ?? []
            await ctx.session.setCmplib(names)
            ctx.note("FCMP function tables: \(names.joined(separator: ", ")).")
        }
        return ValueDict()
    }
}
