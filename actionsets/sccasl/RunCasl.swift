import CASCore
import CASL
import CASWire

/// `sccasl.runCasl`: runs a CASL script inside the session. Its action calls go through the same
/// registry and rules as the client's; `print` and `describe` output become NOTE lines; the
/// results are what the script passed to `send_response`.
struct RunCasl: Action {
    static let name = "runCasl"
    static let summary = "Runs a CASL script in the session; print output comes back as log lines, send_response(dict) gives the results."
    static let code = P.string("code", "The CASL script (docs/casl.md).").program()
    static let vars = P.value("vars", "Variables preset before the script runs, as a dictionary {name=value, …}.")
    static let maxSteps = P.int("maxSteps", "Most statements and loop iterations the script may run before it is stopped.",
                                default: 10_000_000, min: 1)
    static let parameters = [code.spec, vars.spec, maxSteps.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let preset = args[vars]
        guard preset.isNull || preset.dictValue != nil else {
            throw ActionError(.parameterType, "Parameter 'vars' expects a dictionary {name=value, …}, but got a \(preset.typeName).", parameter: "vars")
        }
        let source = args[code]
        let program = try CASLScript.compile(source)
        var limits = InterpreterLimits()
        limits.maxSteps = args[maxSteps]
        return try await CASLScript.run(program, source: source, in: ctx, vars: preset.dictValue ?? ValueDict(), limits: limits)
    }
}
