import CASCore
import CASWire

/// `builtins.help`: lists loaded action sets and their actions, or describes one action.
struct Help: Action {
    static let name = "help"
    static let summary = "Lists the actions of the loaded action sets, or shows the parameters of one action (of a loaded set, as in CAS)."
    static let action = P.optionalString("action", "An action (`set.action`) to describe.")
    static let actionSet = P.optionalString("actionSet", "An action set whose actions to list.")
    static let verbose = P.bool("verbose", "Also list every action's parameters.", default: false)
    static let showHidden = P.bool("showHidden", "Also list hidden actions (swat sends this at connect).", default: false)
    static let parameters = [action.spec, actionSet.spec, verbose.spec, showHidden.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let reg = await ctx.server.currentRegistry()
        let loaded = await ctx.session.loadedSets
        if let a = args[action] {
            // as CAS: only the actions of the sets loaded in this session (an Error, and no results, for the others)
            let entry: ActionEntry
            do { entry = try reg.resolve(a, loaded: loaded) } catch { var e = error; e.parameter = "action"; throw e }
            for line in Reflect.helpLines(entry) { ctx.note(line) }
            return [entry.setName: .table(listing(reg.set(entry.setName)!, only: entry.action.name))]
        }
        let sets: [ActionSet]
        if let s = args[actionSet] {
            guard let set = reg.set(s) else { throw ActionError.notFound("Action set '\(s)' does not exist.", parameter: "actionSet") }
            guard loaded.contains(set.name.lowercased()) else {
                throw ActionError(.actionSetNotLoaded, "Action set '\(set.name)' is not loaded in this session; load it with builtins.loadActionSet.",
                                  parameter: "actionSet")
            }
            sets = [set]
        } else {
            sets = reg.sets.filter { loaded.contains($0.name.lowercased()) }
        }
        var r = ValueDict()
        for set in sets {
            ctx.note("\(set.name)")
            for a in set.actions where args[showHidden] || !a.hidden {
                ctx.note("      \(a.name.padding(24)) \(a.summary)")
                if args[verbose] { for l in Reflect.helpLines(ActionEntry(setName: set.name, action: a)).dropFirst() { ctx.note("        \(l)") } }
            }
            r[set.name] = .table(listing(set, only: nil, showHidden: args[showHidden]))
        }
        return r
    }

    static func listing(_ set: ActionSet, only: String?, showHidden: Bool = false) -> DataTable {
        let rows: [[Value]] = set.actions.filter { (showHidden || !$0.hidden) && (only == nil || $0.name == only) }.map { [.string($0.name), .string($0.summary)] }
        var t = DataTable.result(set.name, label: set.summary, columns: [("name", .varchar), ("description", .varchar)], rows: rows)
        t.columns[0].label = "Name"
        t.columns[1].label = "Description"
        return t
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
