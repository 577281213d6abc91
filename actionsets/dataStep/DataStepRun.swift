import CASCore
import CASWire
import CheckedSize
import Foundation

/// Runs a program row by row, as the DATA step does. Each iteration reads the next row of the input
/// (the SET tables one after the other, or the match-merged rows) into the program data vector
/// (`WhereSlots`), makes the variables the step creates missing again unless they are retained
/// (RETAIN, sum statements, arrays with initial values), sets `_N_`, `FIRST.g` and `LAST.g`, and runs the
/// statements; the row is written at the end of the iteration unless an OUTPUT statement stands anywhere
/// in the program (then only OUTPUT writes). Expressions are the where language's, bound once to the
/// input table and the slots. Input columns the step never assigns are not copied into the slots:
/// they are read from the table and gathered into the output by row, so their type is kept exactly.
final class DataStepRun {
    typealias Statement = DataStepProgram.Statement

    /// How a statement ends: go on, end the iteration (without writing, or with the implicit output),
    /// leave or continue the innermost loop, or stop the step.
    enum Flow { case next, delete, ret, leave, skip, stop }

    /// A bound expression, the hidden slots its `rand("UNIFORM")` calls read, and its statement (for errors).
    struct Expr {
        let bound: BoundWhere
        let rands: [Int]
        let statement: Statement
        /// The LAGn / DIFn calls in the expression, each read from a hidden slot filled before each evaluation.
        var lags: [LagCall] = []
    }

    /// One LAGn(argument) call site: its queue of the last n argument values (`lagQueues[queue]`), read
    /// into `slot` each time the expression is evaluated (then the current argument value is queued).
    struct LagCall {
        let slot: Int
        let argument: Expr
        let queue: Int
    }

    indirect enum Step {
        case assign(slot: Int, Expr)
        case assignElement(array: String, elements: [Int], sub: Expr, Expr)
        case sum(slot: Int, Expr)
        case delete
        case keepIf(Expr)
        case streaminit(Int)
        case when(Expr, Step, Step?)
        case select([(Expr, Step)], otherwise: Step)
        case block([Step])
        case output([Int])
        case range(slot: Int, from: Expr, to: Expr, by: Expr?, body: [Step])
        case whileTrue(Expr, [Step])
        case until(Expr, [Step])
        case values(slot: Int, [Expr], body: [Step])
        case jump(Flow)
        case fail(String, Statement)
        case put([PutPart])
    }

    enum PutPart { case text(String), value(Expr, label: String?) }

    /// PUT lines one step may write to the log; past it one NOTE says the rest were left out.
    static let maxPutLines = 10_000

    let program: DataStepProgram
    let table: DataTable
    let slots = WhereSlots()
    let ctx: ActionContext
    let charge: (Int) throws(ActionError) -> Void
    var rng = CASRandom(seed: 0)
    /// The first CALL STREAMINIT's seed: as in SAS, it seeds the stream wherever it stands.
    var seed: Int?
    var row = 0
    /// DO-loop iterations so far, all loops together (at most `Limits.maxDataStepLoopIterations`).
    var iterations = 0
    var steps: [Step] = []
    /// Input columns held in slots (the program assigns them): slot and column, loaded at each iteration.
    var loads: [(slot: Int, column: Int)] = []
    /// Slots made missing at the start of each iteration (new variables that are not retained).
    var resets: [Int] = []
    /// `_N_`, and FIRST.g / LAST.g per BY variable.
    var counter = 0
    var counterSlot = 0
    var firsts: [Int] = [], lasts: [Int] = []
    var byColumns: [ColumnData] = []
    /// Slots that are not written (`_N_`, FIRST. / LAST., rand's).
    var hidden = Set<Int>()
    var sinks: [DataStepOutput.Sink] = []
    var pendingBytes = 0
    private var randCount = 0

    init(_ program: DataStepProgram, table: DataTable, ctx: ActionContext, charge: @escaping (Int) throws(ActionError) -> Void) {
        self.program = program
        self.table = table
        self.ctx = ctx
        self.charge = charge
    }

    /// The output tables, one per table of the DATA statement.
    static func run(_ p: DataStepProgram, on input: DataTable, check ctx: ActionContext,
                    charge: @escaping (Int) throws(ActionError) -> Void) throws(ActionError) -> [DataTable] {
        var t = input
        for w in p.filters {   // each WHERE and the BY order copy the rows they keep: charged first
            let kept = try rows(w, in: t)
            try charge(gatherBytes(t, kept.count))
            t = t.gather(kept)
        }
        if !p.by.isEmpty && !p.merge && !p.notSorted { try charge(gatherBytes(t, t.rowCount)) }   // DataStepGroups.ordered sorts
        t = try DataStepGroups.ordered(t, p)
        let work = p.body.count
        guard t.rowCount == 0 || work <= ComputedVars.maxSteps / t.rowCount else {
            throw ActionError(.parameterValue, "code would run \(work) statements on \(t.rowCount) rows; at most \(ComputedVars.maxSteps) statement evaluations (rows × statements) are allowed.",
                              parameter: "code")
        }
        let run = DataStepRun(p, table: t, ctx: ctx, charge: charge)
        try run.compile()
        let variables = run.slots.names.count   // each iteration resets and each output copies them
        guard t.rowCount == 0 || variables <= ComputedVars.maxSteps / t.rowCount else {
            throw ActionError(.parameterValue, "code has \(variables) variables for \(t.rowCount) rows; at most \(ComputedVars.maxSteps) variable values (rows × variables) are handled.",
                              parameter: "code")
        }
        try run.execute()
        return try DataStepOutput.tables(run)
    }

    /// About what `rows` rows of `t` gathered into a new table take (its bytes per row, times `rows`).
    static func gatherBytes(_ t: DataTable, _ rows: Int) -> Int {
        let perRow = Double(t.estimatedBytes) / Double(max(1, t.rowCount))
        return Int(min(Double(Int.max / 4), perRow * Double(rows)))
    }

    /// The rows where a WHERE statement's condition is true.
    static func rows(_ condition: String, in t: DataTable) throws(ActionError) -> [Int] {
        do { return try WhereExpression(condition).bind(to: t).matchingRows() } catch {
            throw ActionError(.parameterValue, "code: the WHERE statement (\(Names.quote(condition))): \(error)", parameter: "code")
        }
    }

    // MARK: running

    func execute() throws(ActionError) {
        rng = CASRandom(seed: seed ?? 0)
        let implicit = !program.explicitOutput
        for r in 0..<table.rowCount {
            try ctx.checkCancellation()
            row = r
            counter += 1
            startIteration()
            let flow = try run(steps)
            if flow == .stop { break }
            if implicit && (flow == .next || flow == .ret) { try output(Array(sinks.indices)) }
        }
        try charge(pendingBytes)
        pendingBytes = 0
    }

    func startIteration() {
        for k in resets { slots.clear(k) }
        for (k, c) in loads {
            switch table.columns[c].data {
            case .varchar(let a): slots.strings[k] = a[row] ?? ""
            case let d: slots.numbers[k] = d.double(at: row) ?? .nan
            }
        }
        slots.numbers[counterSlot] = Double(counter)
        DataStepGroups.flags(byColumns, rows: table.rowCount, row: row, firsts: firsts, lasts: lasts, slots: slots)
    }

    func run(_ list: [Step]) throws(ActionError) -> Flow {
        for s in list {
            let flow = try run(s)
            if flow != .next { return flow }
        }
        return .next
    }

    func run(_ step: Step) throws(ActionError) -> Flow {
        switch step {
        case .assign(let k, let e): try store(k, e)
        case .assignElement(let name, let elements, let sub, let e):
            guard let k = slots.element(name, elements, try number(sub)) else { throw DataStepProgram.failure(sub.statement, slots.fault ?? "") }
            try store(k, e)
        case .sum(let k, let e):
            let x = try number(e)
            let old = slots.numbers[k]
            slots.numbers[k] = old.isNaN ? (x.isNaN ? 0 : x) : (x.isNaN ? old : old + x)
        case .delete: return .delete
        case .keepIf(let e): if !(try test(e)) { return .delete }
        case .streaminit: break
        case .when(let e, let then, let otherwise):
            if try test(e) { return try run(then) }
            if let otherwise { return try run(otherwise) }
        case .select(let arms, let otherwise):
            for (e, then) in arms where try test(e) { return try run(then) }
            return try run(otherwise)
        case .block(let list): return try run(list)
        case .output(let targets): try output(targets)
        case .range(let k, let from, let to, let by, let body): return try range(k, from, to, by, body)
        case .whileTrue(let cond, let body):
            while try test(cond) {
                try tick(cond.statement)
                switch try run(body) {
                case .leave: return .next
                case .next, .skip: continue
                case let other: return other
                }
            }
        case .until(let cond, let body):
            repeat {
                try tick(cond.statement)
                switch try run(body) {
                case .leave: return .next
                case .next, .skip: break
                case let other: return other
                }
            } while !(try test(cond))
        case .values(let k, let values, let body):
            for v in values {
                try tick(v.statement)
                try store(k, v)
                switch try run(body) {
                case .leave: return .next
                case .next, .skip: continue
                case let other: return other
                }
            }
        case .jump(let flow): return flow
        case .fail(let message, let s): throw DataStepProgram.failure(s, message)
        case .put(let parts):
            putLines += 1
            if putLines == Self.maxPutLines + 1 { ctx.note("PUT: more than \(Self.maxPutLines) lines; the rest of this step's PUT output is left out.") }
            guard putLines <= Self.maxPutLines else { break }
            var words: [String] = []
            for p in parts {
                switch p {
                case .text(let t): words.append(t)
                case .value(let e, let label):
                    let v: String
                    if Self.kind(e) == .string { v = try evaluate(e) { $0.text(row: $1) } } else {
                        let x = try number(e)
                        v = x.isNaN ? "." : WhereFormat.number(x)
                    }
                    words.append(label.map { "\($0)=\(v)" } ?? v)
                }
            }
            ctx.note(String(words.joined(separator: " ").prefix(Limits.maxComputedString)))
        }
        return .next
    }

    /// `do i = from to to by by;` as SAS runs it: the bounds evaluated once; after each pass i += by; the
    /// loop ends when i passes `to` (the index then holds the first value past it).
    func range(_ k: Int, _ from: Expr, _ to: Expr, _ by: Expr?, _ body: [Step]) throws(ActionError) -> Flow {
        let start = try number(from), stop = try number(to)
        let step = try by.map { e throws(ActionError) in try number(e) } ?? 1
        let s = from.statement
        guard start.isFinite, stop.isFinite, step.isFinite, step != 0 else {
            throw DataStepProgram.failure(s, "Invalid DO loop control information: the start (\(WhereFormat.number(start))) or TO (\(WhereFormat.number(stop))) value is missing, or the BY value (\(WhereFormat.number(step))) is missing, zero or not finite.")
        }
        let planned = ((stop - start) / step).rounded(.down) + 1   // a Double: 1e19 stays a number, never an Int
        let room = Double(Limits.maxDataStepLoopIterations - iterations)
        if planned > room {
            throw DataStepProgram.failure(s, "the DO loop would run \(WhereFormat.number(planned)) times; a DATA step runs at most \(Limits.maxDataStepLoopIterations) DO-loop iterations in all (\(iterations) so far).")
        }
        slots.numbers[k] = start
        while step > 0 ? slots.numbers[k] <= stop : slots.numbers[k] >= stop {
            try tick(s)
            switch try run(body) {
            case .leave: return .next
            case .next, .skip: break
            case let other: return other
            }
            slots.numbers[k] += step   // SAS reads the index again: the body may have changed it
            if slots.numbers[k].isNaN { break }
        }
        return .next
    }

    /// One more loop iteration: counted against the step's limit, and a point where a cancel stops the step.
    func tick(_ s: Statement) throws(ActionError) {
        iterations += 1
        guard iterations <= Limits.maxDataStepLoopIterations else {
            throw DataStepProgram.failure(s, "the DATA step ran \(Limits.maxDataStepLoopIterations) DO-loop iterations, the most one step may run; check the loop's condition.")
        }
        try ctx.checkCancellation()
    }

    /// Evaluates `e` with `read` (after filling its rand slots); an error it recorded (an array subscript out of
    /// range) becomes the statement's error.
    func evaluate<T>(_ e: Expr, _ read: (BoundWhere, Int) -> T) throws(ActionError) -> T {
        for k in e.rands { slots.numbers[k] = Double(rng.next() >> 11) * 0x1p-53 }
        for l in e.lags {   // SAS's LAG: the value queued n executions of this call ago, then this one's is queued
            let current: Value
            switch slots.kinds[l.slot] {
            case .number: current = .double(try number(l.argument))
            case .string: current = .string(try evaluate(l.argument) { $0.text(row: $1) })
            }
            let previous = lagQueues[l.queue].removeFirst()
            lagQueues[l.queue].append(current)
            switch slots.kinds[l.slot] {
            case .number: slots.numbers[l.slot] = previous.doubleValue ?? .nan
            case .string: slots.strings[l.slot] = previous.stringValue ?? ""
            }
        }
        let v = read(e.bound, row)
        if let f = slots.fault { throw DataStepProgram.failure(e.statement, f) }
        return v
    }

    func number(_ e: Expr) throws(ActionError) -> Double { try evaluate(e) { $0.number(row: $1) } }
    func test(_ e: Expr) throws(ActionError) -> Bool { try evaluate(e) { $0.matches(row: $1) } }

    /// `slot = e` (the kinds agree: checked when compiled).
    func store(_ k: Int, _ e: Expr) throws(ActionError) {
        switch slots.kinds[k] {
        case .number: slots.numbers[k] = try number(e)
        case .string:
            let text = try evaluate(e) { $0.text(row: $1) }
            guard text.utf8.count <= Limits.maxComputedString else {
                throw DataStepProgram.failure(e.statement, "the value of \(slots.names[k]) in row \(row + 1) has \(text.utf8.count) characters; a string may have at most \(Limits.maxComputedString).")
            }
            slots.strings[k] = text
        }
    }

    /// Writes the program data vector to the output tables `targets`, charging the memory as it goes.
    func output(_ targets: [Int]) throws(ActionError) {
        for i in targets { pendingBytes += sinks[i].append(row: row, slots: slots) }
        if pendingBytes > 1 << 20 {
            try charge(pendingBytes)
            pendingBytes = 0
        }
    }

    // MARK: names for the rand slots

    /// LAG/DIF calls being rewritten inside each other (at most `Limits.maxExpressionNesting`).
    var lagNesting = 0
    /// PUT lines written so far.
    var putLines = 0
    /// Queues of the LAG call sites (n values each, missing at first).
    var lagQueues: [[Value]] = []

    func nextRandName() -> String {
        randCount += 1
        return "__rand_\(randCount)__"
    }
}
