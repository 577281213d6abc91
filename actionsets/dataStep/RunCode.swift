import CASCore
import CASWire

/// `dataStep.runCode`: runs one DATA step of caslite's subset (`DataStepProgram`, docs/datastep.md):
/// reads the SET tables through the table gate (one after the other, as SET concatenates them:
/// columns by name, a column missing from a table is missing in its rows), applies the program and
/// writes the DATA table (replacing one of that name, as the DATA step does, unless `replace=no`). Answers CAS's `InputCasTables` and `OutputCasTables`.
struct RunCode: Action {
    static let name = "runCode"
    static let summary = "Runs a DATA step program (caslite's subset: SET, WHERE, assignments, IF/THEN/ELSE with delete or an assignment, KEEP, DROP, RENAME)."
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
        let tables = inputs.map(\.data)
        try ctx.reserve(tables.reduce(0) { $0 + $1.estimatedBytes }, for: "the DATA step's output")
        let result = try await ctx.cpu { () throws -> DataTable in
            var t = try SetConcatenation.concatenate(tables)
            try run(program, on: &t, check: ctx)
            return t
        }
        let out = program.output
        // as the DATA step: the output replaces a table of that name unless replace=no says otherwise
        let stored = try await ctx.store(result, out: OutTableRef(name: out.name, caslib: out.caslib, replace: out.replace ?? true, promote: out.promote ?? false),
                                         defaultName: out.name, parameter: "code")
        ctx.note("The table \(stored.name) in caslib \(stored.caslib) has \(stored.rowCount) rows and \(stored.data.columns.count) columns.")
        return ["InputCasTables": .table(.outputCasTables(inputs).renamed("InputCasTables")), "OutputCasTables": .table(.outputCasTables([stored]))]
    }

    /// WHERE, the statements in order, then KEEP, DROP and RENAME.
    static func run(_ p: DataStepProgram, on t: inout DataTable, check ctx: ActionContext) throws(ActionError) {
        let work = p.steps.count + p.filters.count
        guard t.rowCount == 0 || work <= ComputedVars.maxSteps / t.rowCount else {
            throw ActionError(.parameterValue, "code would run \(work) statements on \(t.rowCount) rows; at most \(ComputedVars.maxSteps) statement evaluations (rows × statements) are allowed.",
                              parameter: "code")
        }
        for w in p.filters { t = t.gather(try rows(w, in: t, label: "the WHERE statement")) }
        var rng = CASRandom(seed: 0)
        // rows where the last IF … THEN's condition was not true (what an ELSE after it applies to)
        var pending: [Bool] = []
        for (n, text, step) in p.steps {
            try ctx.checkCancellation()
            let label = "code: statement \(n)"
            switch step {
            case .assign(let name, let expr):
                try ComputedVars.assign(name, expr, statement: text, to: &t, rng: &rng, label: label, parameter: "code")
            case .keepIf(let cond): t = t.gather(try rows(cond, in: t, label: "statement \(n)"))
            case .streaminit(let seed): rng = CASRandom(seed: seed)
            case .when(let cond, let action):
                let hit = try mask(cond, in: t, label: "statement \(n)")
                pending = hit.map { !$0 }
                try apply(action, on: hit, to: &t, pending: &pending, text: text, label: label, rng: &rng)
            case .otherwise(let cond, let action):
                var hit = pending
                if let cond {
                    let c = try mask(cond, in: t, label: "statement \(n)")
                    hit = zip(pending, c).map { $0 && $1 }
                    pending = zip(pending, c).map { $0 && !$1 }
                } else {
                    pending = Array(repeating: false, count: t.rowCount)
                }
                try apply(action, on: hit, to: &t, pending: &pending, text: text, label: label, rng: &rng)
            }
        }
        try select(p, &t)
    }

    /// `delete` or `name = expression` on the rows of `hit` (the other rows keep their value, or a missing one
    /// in a new column, as the DATA step's program data vector would).
    static func apply(_ action: DataStepProgram.Action, on hit: [Bool], to t: inout DataTable, pending: inout [Bool], text: String,
                      label: String, rng: inout CASRandom) throws(ActionError) {
        switch action {
        case .delete:
            let kept = hit.indices.filter { !hit[$0] }
            t = t.gather(kept)
            pending = kept.map { pending[$0] }
        case .assign(let name, let expr):
            var computed = t
            try ComputedVars.assign(name, expr, statement: text, to: &computed, rng: &rng, label: label, parameter: "code")
            guard let new = computed.column(name)?.data else { return }
            let old = t.column(name)?.data
            if let old, old.type.isNumeric != new.type.isNumeric || !old.type.isNumeric && old.type != new.type {
                throw ActionError(.parameterValue, "\(label) (\(Names.quote(text))): the variable \(Names.quote(name)) is \(old.type.rawValue) but is assigned a \(new.type.rawValue) value.",
                                  parameter: "code")
            }
            var column = computed.column(name)!
            column.data = SetConcatenation.merge(old: old, new: new, where: hit)
            if let k = t.columns.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) { t.columns[k].data = column.data } else { t.columns.append(column) }
        }
    }

    /// Whether `condition` is true, row by row (a missing value is false).
    static func mask(_ condition: String, in t: DataTable, label: String) throws(ActionError) -> [Bool] {
        var m = Array(repeating: false, count: t.rowCount)
        for r in try rows(condition, in: t, label: label) { m[r] = true }
        return m
    }

    /// The rows where `condition` is true (a missing value is false).
    static func rows(_ condition: String, in t: DataTable, label: String) throws(ActionError) -> [Int] {
        do { return try WhereExpression(condition).bind(to: t).matchingRows() } catch {
            throw ActionError(.parameterValue, "code: \(label) (\(Names.quote(condition))): \(error)", parameter: "code")
        }
    }

    /// KEEP, DROP and RENAME on the output columns (a name that is not a column is an error, as in SAS).
    static func select(_ p: DataStepProgram, _ t: inout DataTable) throws(ActionError) {
        func index(_ n: String, _ what: String) throws(ActionError) -> Int {
            guard let i = t.columns.firstIndex(where: { $0.name.lowercased() == n.lowercased() }) else {
                throw ActionError(.parameterValue, "code: the variable \(Names.quote(n)) in the \(what) statement is not in the output table (columns: \(t.columns.map(\.name).prefix(20).joined(separator: ", "))).",
                                  parameter: "code")
            }
            return i
        }
        if !p.keep.isEmpty {   // the columns keep their order (the program data vector's), whatever the KEEP list's
            var kept = Set<Int>()
            for n in p.keep { kept.insert(try index(n, "KEEP")) }
            t.columns = t.columns.indices.filter(kept.contains).map { t.columns[$0] }
        }
        for n in p.drop { t.columns.remove(at: try index(n, "DROP")) }
        for (from, to) in p.rename {
            try Names.check(to, .column, parameter: "code")
            t.columns[try index(from, "RENAME")].name = to
        }
    }
}

extension DataTable {
    /// The same table under another name.
    func renamed(_ name: String) -> DataTable {
        var t = self
        t.name = name
        return t
    }
}
