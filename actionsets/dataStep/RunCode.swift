import CASCore
import CASWire

/// `dataStep.runCode`: runs one DATA step of caslite's subset (`DataStepProgram`, docs/datastep.md):
/// reads the SET tables (one after the other, as SET concatenates them: columns by name, a column
/// missing from a table is missing in its rows) or MERGEs them by key, through the table gate; runs
/// the statements and writes the DATA table (replacing one of that name, as the DATA step does, unless
/// `replace=no`). Answers CAS's `InputCasTables` and `OutputCasTables`.
struct RunCode: Action {
    static let name = "runCode"
    static let summary = "Runs a DATA step program (caslite's subset: SET or MERGE … BY, WHERE, assignments, IF/THEN/ELSE, DO blocks, KEEP, DROP, RENAME)."
    static let code = P.string("code", "The DATA step program: `data out; set in1 in2; … run;`.").program()
    static let single = P.string("single", "Accepted for CAS compatibility (one thread or many: caslite runs the step once).", default: "NO",
                                 allowed: ["YES", "NO"])
    static let parameters = [code.spec, single.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let program = try DataStepProgram(args[code])
        var inputs: [CASTable] = []
        for spec in program.inputs {
            inputs.append(try await ctx.filteredTable(TableRef(name: spec.name, caslib: spec.caslib), parameter: "code"))
        }
        let tables = try zip(program.inputs, inputs).map { spec, t throws(ActionError) in try renamed(t.data, spec.rename) }
        try ctx.reserve(tables.reduce(0) { $0 + $1.estimatedBytes }, for: "the DATA step's output")
        let result = try await ctx.cpu { () throws -> DataTable in
            var t = program.merge
                ? try MatchMerge.merge(tables, inFlags: program.inputs.map(\.inFlag), by: program.by)
                : try SetConcatenation.concatenate(tables)
            try DataStepRun.run(program, on: &t, check: ctx)
            return t
        }
        let out = program.output
        // as the DATA step: the output replaces a table of that name unless replace=no says otherwise
        let stored = try await ctx.store(result, out: OutTableRef(name: out.name, caslib: out.caslib, replace: out.replace ?? true, promote: out.promote ?? false),
                                         defaultName: out.name, parameter: "code")
        ctx.note("The table \(stored.name) in caslib \(stored.caslib) has \(stored.rowCount) rows and \(stored.data.columns.count) columns.")
        var used = DataTable.outputCasTables(inputs)
        used.name = "InputCasTables"
        return ["InputCasTables": .table(used), "OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// A table with the `rename=` data set option applied.
    static func renamed(_ data: DataTable, _ pairs: [(from: String, to: String)]) throws(ActionError) -> DataTable {
        var t = data
        for (from, to) in pairs {
            guard let i = t.columns.firstIndex(where: { $0.name.lowercased() == from.lowercased() }) else {
                throw ActionError(.parameterValue, "code: rename=(\(from)=\(to)) names no column of \(data.name).", parameter: "code")
            }
            try Names.check(to, .column, parameter: "code")
            t.columns[i].name = to
        }
        return t
    }
}
