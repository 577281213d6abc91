import CASCore
import CASWire

/// `table.queryCaslib`: whether a caslib exists for this session.
struct QueryCaslib: Action {
    static let name = "queryCaslib"
    static let summary = "Checks whether a caslib exists for this session: returns {<name>: true|false}."
    static let caslib = P.string("caslib", "Caslib name.").with { $0.isCasLib = true }
    static let parameters = [caslib.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let exists = (try? await ctx.caslib(args[caslib])) != nil
        return [args[caslib]: .bool(exists)]
    }
}
