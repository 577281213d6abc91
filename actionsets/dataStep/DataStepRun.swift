import CASCore
import CASWire

/// Runs a program's statements over a table: each statement on the rows its enclosing conditions
/// select (`mask`), conditions evaluated before their branches run (as the DATA step evaluates an IF
/// once per row), deleted rows marked and left out at the end; then KEEP, DROP, RENAME and the RETAIN order.
struct DataStepRun {
    var t: DataTable
    var deleted: [Bool]
    var rng = CASRandom(seed: 0)
    let ctx: ActionContext

    static func run(_ p: DataStepProgram, on table: inout DataTable, check ctx: ActionContext) throws(ActionError) {
        let work = p.body.count + p.filters.count
        guard table.rowCount == 0 || work <= ComputedVars.maxSteps / table.rowCount else {
            throw ActionError(.parameterValue, "code would run \(work) statements on \(table.rowCount) rows; at most \(ComputedVars.maxSteps) statement evaluations (rows × statements) are allowed.",
                              parameter: "code")
        }
        for w in p.filters { table = table.gather(try rows(w, in: table, label: "the WHERE statement")) }
        var r = DataStepRun(t: table, deleted: Array(repeating: false, count: table.rowCount), ctx: ctx)
        let all = Array(repeating: true, count: table.rowCount)
        for node in p.body { try r.exec(node, all) }
        table = r.t.gather(r.deleted.indices.filter { !r.deleted[$0] })
        try select(p, &table)
    }

    mutating func exec(_ node: DataStepProgram.Node, _ mask: [Bool]) throws(ActionError) {
        try ctx.checkCancellation()
        switch node {
        case .assign(let name, let expr, let n, let text):
            let on = zip(mask, deleted).map { $0 && !$1 }
            try assign(name, expr, on: on, text: text, label: "code: statement \(n)")
        case .delete:
            for i in mask.indices where mask[i] { deleted[i] = true }
        case .keepIf(let cond, let n):
            let c = try Self.mask(cond, in: t, label: "statement \(n)")
            for i in mask.indices where mask[i] && !c[i] { deleted[i] = true }
        case .streaminit(let seed): rng = CASRandom(seed: seed)
        case .when(let cond, let n, let then, let otherwise):
            let c = try Self.mask(cond, in: t, label: "statement \(n)")
            try exec(then, zip(mask, c).map { $0 && $1 })
            if let otherwise { try exec(otherwise, zip(mask, c).map { $0 && !$1 }) }
        case .block(let nodes):
            for n in nodes { try exec(n, mask) }
        }
    }

    /// `name = expression` on the rows of `on`; the other rows keep their value (missing in a new column),
    /// as the DATA step's program data vector would.
    mutating func assign(_ name: String, _ expr: String, on: [Bool], text: String, label: String) throws(ActionError) {
        var computed = t
        try ComputedVars.assign(name, expr, statement: text, to: &computed, rng: &rng, label: label, parameter: "code")
        guard var column = computed.column(name) else { return }
        if on.allSatisfy({ $0 }) { t = computed; return }
        let old = t.column(name)?.data
        if let old, old.type.isNumeric != column.type.isNumeric || !old.type.isNumeric && old.type != column.type {
            throw ActionError(.parameterValue, "\(label) (\(Names.quote(text))): the variable \(Names.quote(name)) is \(old.type.rawValue) but is assigned a \(column.type.rawValue) value.",
                              parameter: "code")
        }
        column.data = SetConcatenation.merge(old: old, new: column.data, where: on)
        if let k = t.columns.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) { t.columns[k].data = column.data } else { t.columns.append(column) }
    }

    /// Whether `condition` is true, row by row (a missing value is false).
    static func mask(_ condition: String, in t: DataTable, label: String) throws(ActionError) -> [Bool] {
        var m = Array(repeating: false, count: t.rowCount)
        for r in try rows(condition, in: t, label: label) { m[r] = true }
        return m
    }

    /// The rows where `condition` is true.
    static func rows(_ condition: String, in t: DataTable, label: String) throws(ActionError) -> [Int] {
        do { return try WhereExpression(condition).bind(to: t).matchingRows() } catch {
            throw ActionError(.parameterValue, "code: \(label) (\(Names.quote(condition))): \(error)", parameter: "code")
        }
    }

    /// KEEP, DROP and RENAME on the output columns (a name that is not a column is an error, as in SAS),
    /// MERGE's in= variables left out (the DATA step does not write them), RETAIN's columns first.
    static func select(_ p: DataStepProgram, _ t: inout DataTable) throws(ActionError) {
        func index(_ n: String, _ what: String) throws(ActionError) -> Int {
            guard let i = t.columns.firstIndex(where: { $0.name.lowercased() == n.lowercased() }) else {
                throw ActionError(.parameterValue, "code: the variable \(Names.quote(n)) in the \(what) statement is not in the output table (columns: \(t.columns.map(\.name).prefix(20).joined(separator: ", "))).",
                                  parameter: "code")
            }
            return i
        }
        let flags = Set(p.inputs.compactMap { $0.inFlag?.lowercased() })
        t.columns.removeAll { flags.contains($0.name.lowercased()) }
        if !p.order.isEmpty {
            var first: [Int] = [], firstSet = Set<Int>()
            for n in p.order {
                if let i = t.columns.firstIndex(where: { $0.name.lowercased() == n.lowercased() }), firstSet.insert(i).inserted { first.append(i) }
            }
            t.columns = first.map { t.columns[$0] } + t.columns.indices.filter { !firstSet.contains($0) }.map { t.columns[$0] }
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
