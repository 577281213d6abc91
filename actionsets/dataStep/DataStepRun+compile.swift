import CASCore
import CASWire
import Foundation

/// Compiling a program against its input: the program data vector's slots (as SAS makes them at compile
/// time: from the input, the declarations, then the statements in order) and every expression bound once.
extension DataStepRun {
    func compile() throws(ActionError) {
        let arrays = try program.arrays.map { a throws(ActionError) in try expanded(a) }
        let written = Self.written(program, arrays: arrays)
        for (c, column) in table.columns.enumerated() where written.contains(column.name.lowercased()) {
            switch column.data {
            case .varchar: loads.append((slots.add(column.name, .string), c))
            case .varbinary:
                throw ActionError(.parameterValue, "code: the binary column \(Names.quote(column.name)) cannot be assigned, retained or put in an array.",
                                  parameter: "code")
            default: loads.append((slots.add(column.name, .number), c))
            }
        }
        let inputs = Set(loads.map(\.slot))
        counter = 0
        counterSlot = slots.add("_N_", .number)
        hidden.insert(counterSlot)
        for b in program.by {
            guard let column = table.column(b.name) else { continue }   // DataStepGroups.ordered checked it
            byColumns.append(column.data)
            firsts.append(slots.add("first.\(b.name)", .number))
            lasts.append(slots.add("last.\(b.name)", .number))
        }
        hidden.formUnion(firsts + lasts)
        var retained = Set<Int>()
        for (name, initial) in program.retained {
            let k = slots.slot(name) ?? (initial.map { slots.add(name, $0.stringValue == nil ? .number : .string) })
            guard let k else { continue }   // a name only: made by the statement that assigns it
            retained.insert(k)
            if let initial { try setInitial(k, initial, name) }
        }
        for a in arrays { try declare(a, &retained) }
        slots.pending = Set(written.filter { slots.slot($0) == nil })
        var context = Context()
        steps = try program.body.map { n throws(ActionError) in try compile(n, &context) }
        for (name, _) in program.retained { if let k = slots.slot(name) { retained.insert(k) } }
        retained.formUnion(context.sums)
        resets = slots.names.indices.filter { !inputs.contains($0) && !retained.contains($0) && !hidden.contains($0) }
        let columns = slots.names.indices.filter { !hidden.contains($0) }
        sinks = program.outputs.map { _ in DataStepOutput.Sink(columns) }
    }

    /// What compiling a statement needs to know about where it stands.
    struct Context {
        var loops = 0
        var sums = Set<Int>()
    }

    func compile(_ node: DataStepProgram.Node, _ c: inout Context) throws(ActionError) -> Step {
        switch node {
        case .assign(.variable(let name), let text, let s):
            let e = try expr(text, s)
            return .assign(slot: try target(name, e, s), e)
        case .assign(.element(let name, let sub), let text, let s):
            guard let elements = slots.array(name) else { throw DataStepProgram.failure(s, "\(Names.quote(name)) is not an array (declare it with an ARRAY statement before this one).") }
            let e = try expr(text, s)
            try check(elements[0], e, s, "an element of the array \(name)")
            return .assignElement(array: name, elements: elements, sub: try number(sub, s, "the subscript of \(name)"), e)
        case .sum(let name, let text, let s):
            let e = try number(text, s, "the sum statement's expression")
            let k = slots.slot(name) ?? slots.add(name, .number)
            guard slots.kinds[k] == .number, !hidden.contains(k) else { throw DataStepProgram.failure(s, "the sum statement's variable \(name) must be a numeric variable the step may change.") }
            if c.sums.insert(k).inserted, !program.retained.contains(where: { $0.name.lowercased() == name.lowercased() && $0.initial != nil }) {
                slots.numbers[k] = 0   // SAS starts a sum statement's variable at 0 and retains it
            }
            return .sum(slot: k, e)
        case .delete: return .delete
        case .keepIf(let cond, let s): return .keepIf(try expr(cond, s))
        case .streaminit(let n):
            if seed == nil { seed = n }
            return .streaminit(n)
        case .when(let cond, let s, let then, let otherwise):
            let e = try expr(cond, s)
            return .when(e, try compile(then, &c), try otherwise.map { n throws(ActionError) in try compile(n, &c) })
        case .select(let arms, let otherwise):
            return .select(try arms.map { a throws(ActionError) in (try expr(a.condition, a.statement), try compile(a.then, &c)) },
                           otherwise: try compile(otherwise, &c))
        case .block(let nodes): return .block(try nodes.map { n throws(ActionError) in try compile(n, &c) })
        case .output(let names, _):
            return .output(names.isEmpty ? Array(program.outputs.indices) : names.compactMap { n in program.outputs.firstIndex { $0.name.lowercased() == n.lowercased() } })
        case .loop(let loop, let body, let s):
            c.loops += 1
            defer { c.loops -= 1 }
            switch loop {
            case .range(let index, let from, let to, let by):
                let (f, t, b) = (try number(from, s, "the start of the DO loop"), try number(to, s, "TO"), try by.map { x throws(ActionError) in try number(x, s, "BY") })
                let k = slots.slot(index) ?? slots.add(index, .number)
                guard slots.kinds[k] == .number, !hidden.contains(k) else { throw DataStepProgram.failure(s, "the DO loop's index \(index) must be a numeric variable the step may change.") }
                return .range(slot: k, from: f, to: t, by: b, body: try body.map { n throws(ActionError) in try compile(n, &c) })
            case .values(let index, let texts):
                let exprs = try texts.map { t throws(ActionError) in try expr(t, s) }
                let k = try target(index, exprs[0], s)
                for e in exprs.dropFirst() { try check(k, e, s, "the DO loop's index \(index)") }
                guard !hidden.contains(k) else { throw DataStepProgram.failure(s, "the DO loop's index \(index) must be a variable the step may change.") }
                return .values(slot: k, exprs, body: try body.map { n throws(ActionError) in try compile(n, &c) })
            case .whileTrue(let cond):
                let e = try expr(cond, s)
                return .whileTrue(e, try body.map { n throws(ActionError) in try compile(n, &c) })
            case .until(let cond):   // evaluated after the body, which may make the variables it reads
                let steps = try body.map { n throws(ActionError) in try compile(n, &c) }
                return .until(try expr(cond, s), steps)
            }
        case .fail(let message, let s): return .fail(message, s)
        case .put(let items, let s):
            return .put(try items.map { item throws(ActionError) -> PutPart in
                switch item {
                case .text(let t): return .text(t)
                case .variable(let name, let named):
                    let e = try expr(name, s)
                    guard Self.kind(e) != nil else { throw DataStepProgram.failure(s, "PUT cannot write the binary value of \(name)") }
                    return .value(e, label: named ? name : nil)
                }
            })
        case .jump(let flow, let s):
            if (flow == .leave || flow == .next) && c.loops == 0 {
                throw DataStepProgram.failure(s, "\(flow == .leave ? "LEAVE" : "CONTINUE") stands outside every DO loop.")
            }
            switch flow {
            case .leave: return .jump(.leave)
            case .next: return .jump(.skip)
            case .ret: return .jump(.ret)
            case .stop: return .jump(.stop)
            }
        }
    }

    /// The slot `name = e` writes: an existing variable of the same kind, or a new one of the expression's kind.
    func target(_ name: String, _ e: Expr, _ s: Statement) throws(ActionError) -> Int {
        guard let k = slots.slot(name) else { return slots.add(name, Self.kind(e) ?? .number) }
        guard !hidden.contains(k) else { throw DataStepProgram.failure(s, "\(name) is set by the DATA step itself and cannot be assigned.") }
        try check(k, e, s, "the variable \(Names.quote(name))")
        return k
    }

    func check(_ k: Int, _ e: Expr, _ s: Statement, _ what: String) throws(ActionError) {
        guard let kind = Self.kind(e) else { throw DataStepProgram.failure(s, "a binary value cannot be assigned in the DATA step.") }
        guard kind == slots.kinds[k] else {
            throw DataStepProgram.failure(s, "\(what) is \(Self.typeName(slots.kinds[k])) but is assigned a \(Self.typeName(kind)) value.")
        }
    }

    static func kind(_ e: Expr) -> WhereSlots.Kind? {
        switch e.bound.resultType {
        case .varchar: .string
        case .varbinary: nil
        default: .number
        }
    }

    static func typeName(_ k: WhereSlots.Kind) -> String { k == .number ? ColumnType.double.rawValue : ColumnType.varchar.rawValue }

    /// An expression bound to the input table and the slots; `rand("UNIFORM")` reads a hidden slot filled before each evaluation.
    func expr(_ text: String, _ s: Statement) throws(ActionError) -> Expr {
        var t = ComputedVars.quotingFormats(text), rands: [Int] = []
        while let r = t.range(of: ComputedVars.randUniform, options: [.regularExpression, .caseInsensitive]) {
            let name = nextRandName()
            rands.append(slots.add(name, .number))
            hidden.insert(rands.last!)
            t.replaceSubrange(r, with: name)
        }
        try rewriteOfLists(&t, s)
        let lags = try rewriteLags(&t, s)
        do { return Expr(bound: try ComputedVars.bind(t, to: table, slots: slots), rands: rands, statement: s, lags: lags) } catch {
            throw DataStepProgram.failure(s, "\(error)")
        }
    }

    /// Replaces each `lagN(x)` (N = 1…100, default 1) in `t` by a hidden slot and `difN(x)` by `((x) - slot)`,
    /// the slot holding x as it was N executions of that call ago (missing before); nested calls work.
    func rewriteLags(_ t: inout String, _ s: Statement) throws(ActionError) -> [LagCall] {
        var calls: [LagCall] = []
        lagNesting += 1
        defer { lagNesting -= 1 }
        guard lagNesting <= Limits.maxExpressionNesting else {
            throw DataStepProgram.failure(s, "LAG/DIF calls nested more than \(Limits.maxExpressionNesting) deep")
        }
        while let (range, dif, n, argument) = try Self.firstLag(t, s) {
            let arg = try expr(argument, s)
            guard let kind = Self.kind(arg) else { throw DataStepProgram.failure(s, "\(dif ? "DIF" : "LAG") of a binary value") }
            if dif && kind != .number { throw DataStepProgram.failure(s, "DIF\(n) needs a number, not \(Names.quote(argument))") }
            let name = nextRandName()
            let k = slots.add(name, kind)
            hidden.insert(k)
            lagQueues.append([Value](repeating: kind == .number ? .double(.nan) : .string(""), count: n))
            calls.append(LagCall(slot: k, argument: arg, queue: lagQueues.count - 1))
            t.replaceSubrange(range, with: dif ? "((\(argument)) - \(name))" : name)
        }
        return calls
    }

    /// The first `lagN(…)` or `difN(…)` call outside quotes: its range, whether DIF, N and the argument text.
    static func firstLag(_ t: String, _ s: Statement) throws(ActionError) -> (Range<String.Index>, Bool, Int, String)? {
        let text = Substring(t)
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        var found: (Range<String.Index>, Bool, Int, String)?
        var problem: String?
        _ = DataSetName.firstOutsideQuotes(text, from: text.startIndex) { i, _ in
            guard i == text.startIndex || !isWord(text[text.index(before: i)]) else { return false }
            let rest = text[i...]
            let lower = rest.prefix(3).lowercased()
            guard lower == "lag" || lower == "dif" else { return false }
            var j = text.index(i, offsetBy: 3)
            var digits = ""
            while j < text.endIndex, text[j].isNumber { digits.append(text[j]); j = text.index(after: j) }
            var k = j
            while k < text.endIndex, text[k] == " " { k = text.index(after: k) }
            guard k < text.endIndex, text[k] == "(" else { return false }   // `lagoon(`, `lag_x` are other names
            guard let close = DataSetName.closing(text[k...]) else { problem = "an unclosed \(lower.uppercased())( call"; return true }
            let n = digits.isEmpty ? 1 : Int(digits) ?? 0
            guard (1...100).contains(n) else { problem = "\(lower.uppercased())\(digits) (n must be 1 to 100)"; return true }
            found = (i..<text.index(after: close), lower == "dif", n, String(text[text.index(after: k)..<close]))
            return true
        }
        if let problem { throw DataStepProgram.failure(s, problem) }
        return found
    }

    func number(_ text: String, _ s: Statement, _ what: String) throws(ActionError) -> Expr {
        let e = try expr(text, s)
        guard Self.kind(e) == .number else { throw DataStepProgram.failure(s, "\(what) (\(Names.quote(text))) must be a number.") }
        return e
    }

    func setInitial(_ k: Int, _ v: Value, _ name: String) throws(ActionError) {
        switch (slots.kinds[k], v) {
        case (.number, .string), (.string, .double):
            throw ActionError(.parameterValue, "code: RETAIN or ARRAY gives \(name) an initial value of the other type (\(slots.kinds[k] == .number ? "it is numeric" : "it is character")).",
                              parameter: "code")
        case (.number, _): slots.numbers[k] = v.doubleValue ?? .nan
        case (.string, _): slots.strings[k] = v.stringValue ?? ""
        }
    }

    /// An ARRAY: its elements become slots (input columns, variables made before, or new ones of the
    /// array's type), all of one type; initial values retain the elements.
    func declare(_ a: DataStepProgram.ArrayDeclaration, _ retained: inout Set<Int>) throws(ActionError) {
        guard slots.array(a.name) == nil, table.column(a.name) == nil else {
            throw DataStepProgram.failure(a.statement, "the array name \(a.name) is already the name of an array or a column.")
        }
        let kind: WhereSlots.Kind = a.character ? .string : .number
        let elements = a.elements.map { slots.slot($0) ?? slots.add($0, kind) }
        for (k, name) in zip(elements, a.elements) where slots.kinds[k] != kind || hidden.contains(k) {
            throw DataStepProgram.failure(a.statement, "the array \(a.name) is \(a.character ? "character ($)" : "numeric") but \(name) is \(slots.kinds[k] == .number ? "numeric" : "character").")
        }
        slots.addArray(a.name, elements)
        for (k, v) in zip(elements, a.initial) {
            try setInitial(k, v, slots.names[k])
            retained.insert(k)
        }
    }

    /// `array a _numeric_;` (`_character_`) with its elements: as SAS makes it where the ARRAY stands after SET,
    /// the input's numeric (character) columns in the table's order, then the RETAIN variables of that type
    /// declared with an initial value. Variables the statements make later are not in it.
    func expanded(_ a: DataStepProgram.ArrayDeclaration) throws(ActionError) -> DataStepProgram.ArrayDeclaration {
        guard a.elements.count == 1, let list = a.elements.first, DataStepProgram.ArrayDeclaration.isVariableList(list) else { return a }
        let character = list == "_character_"
        let names = variables(list)
        guard !names.isEmpty else { throw DataStepProgram.failure(a.statement, "the array \(a.name) {\(list)} has no variables: the input has no \(character ? "character" : "numeric") column.") }
        var out = a
        out.elements = names
        return out
    }

    /// The variables a SAS list name stands for where it is used after SET: `_numeric_` (`_character_`) the input's
    /// numeric (character) columns in the table's order, then the RETAIN variables of that type declared with an
    /// initial value; `_all_` both kinds, in that order. Variables the statements make later are not in it.
    func variables(_ list: String) -> [String] {
        let kinds = list == "_all_" ? [false, true] : [list == "_character_"]
        var names = table.columns.filter { c in kinds.contains(c.type == .varchar) && c.type != .varbinary }.map(\.name)
        for (name, initial) in program.retained {
            guard let v = initial, kinds.contains(v.stringValue != nil), !names.contains(where: { $0.lowercased() == name.lowercased() }) else { continue }
            names.append(name)
        }
        return names
    }

    /// The names the program assigns (lower-cased): targets, sum statements, DO indexes, RETAIN and ARRAY names.
    static func written(_ p: DataStepProgram, arrays: [DataStepProgram.ArrayDeclaration]) -> Set<String> {
        var out = Set(p.retained.map { $0.name.lowercased() })
        for a in arrays { out.formUnion(a.elements.map { $0.lowercased() }) }
        func walk(_ n: DataStepProgram.Node) {
            switch n {
            case .assign(.variable(let name), _, _), .sum(let name, _, _): out.insert(name.lowercased())
            case .when(_, _, let a, let b): walk(a); if let b { walk(b) }
            case .select(let arms, let otherwise): arms.forEach { walk($0.then) }; walk(otherwise)
            case .block(let nodes): nodes.forEach(walk)
            case .loop(let loop, let nodes, _):
                if case .range(let index, _, _, _) = loop { out.insert(index.lowercased()) }
                if case .values(let index, _) = loop { out.insert(index.lowercased()) }
                nodes.forEach(walk)
            default: break
            }
        }
        p.body.forEach(walk)
        return out
    }
}
