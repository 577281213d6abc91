import CASCore
import CASWire

/// `table.caslibInfo`: the caslibs this session can use.
struct CaslibInfo: Action {
    static let name = "caslibInfo"
    static let summary = "Lists the caslibs this session can use (session, personal, Public and global ones)."
    static let caslib = P.optionalString("caslib", "Only this caslib.").with { $0.isCasLib = true }
    static let active = P.bool("active", "Only the active caslib.", default: false)
    static let srcType = P.string("srcType", "Only caslibs of this data-source type (ALL for every one). Every caslite caslib is a PATH caslib, so any other type lists none (DLPy asks for PATH, DNFS and HDFS).", default: "ALL")
    static let parameters = [caslib.spec, active.spec, srcType.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let activeName = await ctx.session.activeCaslib
        var libs = try await ctx.visibleCaslibs()
        if let c = args[caslib] { libs = [try await ctx.caslib(c)] }
        let type = args[srcType].uppercased()
        if type != "ALL" && type != "PATH" { libs = [] }
        if args[active] { libs = libs.filter { $0.name.uppercased() == activeName.uppercased() } }
        return ["CASLibInfo": .table(CaslibRows.table(libs, active: activeName))]
    }
}
