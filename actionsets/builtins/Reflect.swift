import CASCore
import CASWire

/// `builtins.reflect`: machine-readable descriptions of action sets and their parameters.
struct ReflectAction: Action {
    static let name = "reflect"
    static let summary = "Describes action sets, actions and their parameters in a machine-readable form."
    static let action = P.optionalString("action", "Only this action (`set.action` or a bare name).")
    static let actionSet = P.optionalString("actionSet", "Only this action set.")
    static let showHidden = P.bool("showHidden", "Include hidden actions.", default: false)
    static let levels = P.optionalInt("levels", "Reflection depth (accepted for client compatibility).", min: 0)
    static let parameters = [action.spec, actionSet.spec, showHidden.spec, levels.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let reg = await ctx.server.currentRegistry()
        let all = Set(reg.sets.map { $0.name.lowercased() })
        var r = ValueDict()
        if let a = args[action] {
            let e = try reg.resolve(a, loaded: all)
            r[e.setName] = Reflect.describe(reg.set(e.setName)!, action: e.action.name)
        } else if let s = args[actionSet] {
            guard let set = reg.set(s) else {
                throw ActionError.notFound(NearMiss.doesNotExist("Action set", s, among: reg.sets.map(\.name)), parameter: "actionSet")
            }
            r[set.name] = Reflect.describe(set, showHidden: args[showHidden])
        } else {
            let loaded = await ctx.session.loadedSets
            for set in reg.sets where loaded.contains(set.name.lowercased()) { r[set.name] = Reflect.describe(set, showHidden: args[showHidden]) }
        }
        return r
    }
}
