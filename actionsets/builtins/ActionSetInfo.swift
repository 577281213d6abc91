import CASCore
import CASWire

/// `builtins.actionSetInfo`: the action sets loaded in this session (every available one with
/// `all=True`) with their build information: caslite's version for compiled-in sets, `user-defined`
/// for sets defined with `builtins.defineActionSet`.
struct ActionSetInfo: Action {
    static let name = "actionSetInfo"
    static let summary = "Shows the build information of the loaded action sets (all available ones with all=True)."
    static let all = P.bool("all", "Also list the action sets that are not loaded in this session.", default: false)
    static let parameters = [all.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let loaded = await ctx.session.loadedSets
        let sets = (await ctx.server.allSets()).filter { args[all] || loaded.contains($0.name.lowercased()) }
        let rows: [[Value]] = sets.map { s in
            [.string(s.name), .string(s.summary), .int(loaded.contains(s.name.lowercased()) ? 1 : 0),
             .string(s.userDefined ? "user-defined" : "compiled-in"), .string(ServerContext.version), "caslite"]
        }
        return ["setinfo": .table(.result("setinfo", label: "Action set information", columns: [
            ("actionset", .varchar), ("label", .varchar), ("loaded", .int32), ("extension", .varchar), ("version", .varchar),
            ("product_name", .varchar),
        ], rows: rows))]
    }
}
