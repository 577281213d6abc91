import CASCore
import CASWire

/// `builtins.casCommon` (hidden): carries the common `castable` / `casouttable` parameter lists
/// that clients such as swat read through reflect.
struct CasCommon: Action {
    static let name = "casCommon"
    static let summary = "Common parameter lists (castable, casouttable) shared by many actions."
    static let hidden = true
    static let parameters: [ParamSpec] = [
        P.optionalTable("castable", "An input table reference.").spec,
        P.outTable("casouttable", "An output table definition.").spec,
    ]
    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict { ValueDict() }
}
