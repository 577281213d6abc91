import CASCore
import CASStorage
import CASWire

/// `table.loadTable`: reads a file from a caslib folder into an in-memory table.
struct LoadTable: Action {
    static let name = "loadTable"
    static let summary = "Loads a saved table (table.save), a CSV, TSV or other delimited text file, or JSON records from a caslib into an in-memory table."
    static let path = P.string("path", "A saved table's name, or a file path relative to the caslib's folder.")
    static let caslib = P.caslib("caslib", "Caslib holding the file; the active caslib when omitted.")
    static let casOut = P.outTable("casOut", "Output table; named after the file, in the file's caslib, when omitted.")
    static let parameters = [path.spec, caslib.spec, ImportOptions.param.spec, casOut.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let lib = try await ctx.caslib(args[caslib])
        var out = args[casOut]
        if out.caslib == nil { out.caslib = lib.name }  // as CAS: the table lands in the source's caslib
        let file = try await ctx.path(args[path], in: lib, for: .read, parameter: "path")
        if !file.isFile, let saved = try await loadSaved(args[path], lib: lib, ctx: ctx) {
            let stored = try await ctx.store(saved.0, out: out, defaultName: saved.0.name, sourceName: args[path], sourceCaslib: lib.name)
            ctx.note("caslite loaded the saved table \(saved.0.name) as table \(stored.name) in caslib \(stored.caslib).")
            return ["caslib": .string(stored.caslib), "tableName": .string(stored.name), "OutputCasTables": .table(.outputCasTables([stored]))]
        }
        guard file.isFile else {
            throw ActionError(.notFound, "There is no file or saved table \(Names.quote(args[path])) in caslib \(lib.name).", parameter: "path")
        }
        let options = try ImportOptions.csvOptions(args[ImportOptions.param], fileName: args[path])  // an unsupported fileType fails before the read
        // the raw bytes and the table built from them are both in memory while the file is read
        try ctx.reserve(file.size &* 2, for: "Reading \(file.display)")
        let bytes = try await ctx.cpu { try file.read(maxBytes: Int.max) }
        let defaultName = tableName(forPath: args[path])
        let table = try await ImportOptions.read(bytes, name: args[path], tableName: defaultName, options: options, args[ImportOptions.param],
                                                 shown: "The file \(Names.quote(args[path]))", parameter: "path", ctx: ctx)
        let stored = try await ctx.store(table, out: out, defaultName: defaultName, sourceName: args[path], sourceCaslib: lib.name)
        ctx.note("caslite made the file \(args[path]) available as table \(stored.name) in caslib \(stored.caslib).")
        return ["caslib": .string(stored.caslib), "tableName": .string(stored.name), "OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// A saved table of that name in the caslib's database, read row by row (nil when there is none).
    static func loadSaved(_ name: String, lib: Caslib, ctx: ActionContext) async throws -> (DataTable, TableMeta)? {
        let saved = try await ctx.savedTables(in: lib, for: .read, parameter: "path")
        return try await ctx.cpu {
            try saved.load(name) { n, total in
                try ctx.checkCancellation()
                ctx.progress(done: n, total: total, unit: "rows", message: "loading \(name)")
            }
        }
    }

    /// CAS's default table name for a path: folders joined with '.', extension dropped, upper case (`data/iris.csv` → `DATA.IRIS`).
    static func tableName(forPath p: String) -> String {
        var parts = p.split(separator: "/").map(String.init)
        if var last = parts.popLast() {
            if let dot = last.lastIndex(of: "."), dot != last.startIndex { last = String(last[..<dot]) }
            parts.append(last)
        }
        return parts.joined(separator: ".").uppercased()
    }
}
