import CASCore
import CASWire

/// `dataStep.runCode`: runs one DATA step of caslite's subset (`DataStepProgram`, docs/datastep.md):
/// reads the SET tables (one after the other, as SET concatenates them: columns by name, a column
/// missing from a table is missing in its rows) or MERGEs them by key, through the table gate; runs
/// the statements row by row and writes the DATA statement's tables (replacing tables of those names,
/// as the DATA step does, unless `replace=no`). Answers CAS's `InputCasTables` and `OutputCasTables`.
struct RunCode: Action {
    static let name = "runCode"
    static let summary = "Runs a DATA step program (caslite's subset: SET or MERGE … BY, BY groups, WHERE, assignments, IF/THEN/ELSE, DO blocks and loops, arrays, OUTPUT, RETAIN, KEEP, DROP, RENAME)."
    static let code = P.string("code", "The DATA step program: `data out; set in1 in2; … run;`.").program()
    static let single = P.string("single", "Accepted for CAS compatibility (one thread or many: caslite runs the step once).", default: "NO",
                                 allowed: ["YES", "NO"])
    static let nThreads = P.optionalInt(
        "nThreads", "Accepted for CAS compatibility (the threads per worker CAS would run the step on; DLPy sends nthreads=1 to keep the rows' order). caslite runs the step on one thread, in the rows' order, whatever it says.",
        min: 0, max: 65_536)
    static let parameters = [code.spec, single.spec, nThreads.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let program = try DataStepProgram(args[code])
        var inputs: [CASTable] = []
        for spec in program.inputs {
            inputs.append(try await ctx.filteredTable(TableRef(name: spec.name, caslib: spec.caslib), parameter: "code"))
        }
        let tables = try zip(program.inputs, inputs).map { spec, t throws(ActionError) in
            var data = t.data
            try DataStepOutput.keepAndDrop(&data, spec)
            try DataStepOutput.rename(&data, spec.rename, what: "rename= of \(spec.name)")
            return data
        }
        let charge: @Sendable (Int) throws(ActionError) -> Void = { bytes throws(ActionError) in try ctx.reserve(bytes, for: "the DATA step's output") }
        if !program.merge && tables.count > 1 {   // SET of several tables copies them into one
            try charge(tables.reduce(0) { $0 &+ $1.estimatedBytes })
        }
        let results = try await ctx.cpu { () throws -> [DataTable] in
            let t = program.merge
                ? try MatchMerge.merge(tables, inFlags: program.inputs.map(\.inFlag), by: program.by.map(\.name), charge: charge)
                : try TableConcatenation.concatenate(tables, parameter: "code")
            return try DataStepRun.run(program, on: t, check: ctx, charge: charge)
        }
        var stored: [CASTable] = []
        for (out, result) in zip(program.outputs, results) {
            // as the DATA step: the output replaces a table of that name unless replace=no says otherwise
            let s = try await ctx.store(result, out: OutTableRef(name: out.name, caslib: out.caslib, replace: out.replace ?? true, promote: out.promote ?? false),
                                        defaultName: out.name, parameter: "code")
            ctx.note("The table \(s.name) in caslib \(s.caslib) has \(s.rowCount) rows and \(s.data.columns.count) columns.")
            stored.append(s)
        }
        var used = DataTable.outputCasTables(inputs)
        used.name = "InputCasTables"
        return ["InputCasTables": .table(used), "OutputCasTables": .table(.outputCasTables(stored))]
    }
}
