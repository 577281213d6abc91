import CASCore
import CASL
import CASWire

/// `builtins.defineActionSet`: defines an action set whose actions are CASL bodies. The set is
/// registered server-wide, loaded in this session, and stored as
/// `<dataRoot>/actionsets/<name>.casl` so that it survives a restart (docs/decisions/004).
/// The user who defines a set owns it: only the owner or an administrator may replace or drop it.
struct DefineActionSet: Action {
    static let name = "defineActionSet"
    static let summary = "Defines an action set whose actions are written in CASL; it is stored and survives a restart."
    static let parameters = UserActionSetBuilder.parameters

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let (set, owner) = try await UserActionSetBuilder.define(args.values, server: ctx.server, by: ctx.user, isAdmin: ctx.isAdmin)
        do {
            try UserActionSetStore.save(args.values, setName: set.name, dataRoot: ctx.server.caslibs.dataRoot)
            if let owner { try await ctx.server.store.setActionSetOwner(set.name, owner: owner) }
        } catch {
            ctx.warning("Action set '\(set.name)' is defined but could not be stored, so it will not survive a restart: \(error)")
        }
        await ctx.session.load(set: set.name)
        ctx.note("Defined action set '\(set.name)' with \(set.actions.count) action\(set.actions.count == 1 ? "" : "s"): \(set.actions.map(\.name).joined(separator: ", ")).")
        return ["actionset": .string(set.name), "actions": .list(set.actions.map { .string($0.name) })]
    }
}
