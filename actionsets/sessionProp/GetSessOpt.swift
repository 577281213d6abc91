import CASCore
import CASWire

/// `sessionProp.getSessOpt`: reads one session option.
struct GetSessOpt: Action {
    static let name = "getSessOpt"
    static let summary = "Shows the value of one session option."
    static let option = P.string("name", "Option name.", allowed: ListSessOpts.names)
    static let parameters = [option.spec]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let name = args[option]
        return [name.lowercased(): await ListSessOpts.value(name, ctx.session)]
    }
}
