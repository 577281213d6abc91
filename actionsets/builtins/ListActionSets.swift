import CASCore
import CASWire

/// `builtins.listActionSets`: every available action set with a loaded flag.
struct ListActionSets: Action {
    static let name = "listActionSets"
    static let summary = "Lists the available action sets and whether each is loaded in this session."
    static let all = P.bool("all", "Accepted for compatibility: every compiled-in set is always listed.", default: true)
    static let parameters = [all.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let loaded = await ctx.session.loadedSets
        let rows: [[Value]] = (await ctx.server.allSets()).map { s in
            [.string(s.name), .string(s.summary), .string(loaded.contains(s.name.lowercased()) ? "TRUE" : "FALSE"), .int(Int64(s.actions.filter { !$0.hidden }.count))]
        }
        return ["setinfo": .table(.result("setinfo", label: "Action Sets", columns: [("actionset", .varchar), ("label", .varchar), ("loaded", .varchar), ("actions", .int32)], rows: rows))]
    }
}
