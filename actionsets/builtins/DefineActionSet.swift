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

/// `builtins.dropActionSet`: removes a user-defined action set from the server and deletes its stored
/// definition. Only its owner or an administrator may drop it; built-in sets cannot be dropped.
/// Sessions that had loaded it get "action not found" from then on.
struct DropActionSet: Action {
    static let name = "dropActionSet"
    static let summary = "Removes a user-defined action set (defined with defineActionSet) and its stored definition."
    static let setName = P.string("name", "Name of the user-defined action set.")
    static let parameters = [setName.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let name = args[setName]
        if ctx.server.registry.set(name) != nil {
            throw ActionError(.parameterValue, "'\(name)' is a built-in action set; only sets defined with defineActionSet can be dropped.", parameter: "name")
        }
        let sets = ctx.server.userSets
        guard let set = await sets.set(name) else {
            let known = await sets.all().map(\.name)
            throw ActionError(.notFound, NearMiss.withSuggestion("There is no user-defined action set '\(name)'.", for: name, among: known), parameter: "name")
        }
        try await sets.checkMayChange(set.name, user: ctx.user, isAdmin: ctx.isAdmin, doing: "drop")
        let fromOperatorFolder = await sets.isFromOperatorFolder(set.name)
        await sets.remove(set.name)
        await ctx.session.unload(set: set.name)
        do {
            try UserActionSetStore.remove(setName: set.name, dataRoot: ctx.server.caslibs.dataRoot)
            try await ctx.server.store.removeActionSetOwner(set.name)
        } catch {
            ctx.warning("Action set '\(set.name)' is dropped, but its stored definition could not be removed, so it may come back after a restart: \(error)")
        }
        ctx.note("Dropped action set '\(set.name)'.")
        if fromOperatorFolder {
            ctx.note("It was loaded from the server's --actionsets folder and comes back when the server restarts unless its file is removed.")
        }
        return ["actionset": .string(set.name)]
    }
}
