import CASCore
import CASWire

/// `fcmpact.addRoutines`: parses `routineCode` and writes its functions to `funcTable`.
struct AddRoutines: Action {
    static let name = "addRoutines"
    static let summary = "Compiles FCMP functions (caslite's subset: assignments and return) into a function table."
    static let routineCode = P.string("routineCode", "FCMP source: `function f(a, b); x = …; return(…); endsub;`.").program()
    static let package = P.string("package", "Package name.", default: "pkg")
    static let funcTable = P.outTable("funcTable", "The function table to write.", required: true)
    static let saveTable = P.bool("saveTable", "Accepted for compatibility (the table is a session table; table.save keeps it).", default: false)
    static let parameters = [routineCode.spec, package.spec, funcTable.spec, saveTable.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let fs = try FCMPFunction.parse(args[routineCode], parameter: "routineCode")
        let out = args[funcTable]
        let stored = try await ctx.store(FCMPFunction.table(fs, name: out.name ?? "FCMPFUNCS", package: args[package]), out: out,
                                         defaultName: "FCMPFUNCS", parameter: "funcTable")
        for f in fs { ctx.note("Compiled function \(f.name)(\(f.arguments.joined(separator: ", "))) into table \(stored.name).") }
        return ["OutputCasTables": .table(.outputCasTables([stored]))]
    }
}
