import CASCore
import CASL
import CASWire

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
