import CASCore
import CASWire

/// `builtins.echo`: returns the parameters it was given (checks parameter passing).
struct Echo: Action {
    static let name = "echo"
    static let summary = "Prints and returns the supplied parameters, unchanged."
    static let parameters: [ParamSpec] = []
    static let acceptsAnyParameters = true
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        for (k, v) in args.values { ctx.note("\(k) = \(v.jsonString)") }
        return args.values
    }
}
