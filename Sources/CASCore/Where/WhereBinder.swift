import CASWire
import Foundation

/// Resolves column names against a table, checks operand types, and compiles the syntax tree to closures.
/// Subtrees made only of literals are evaluated once here (constant folding).
struct WhereBinder {
    let table: DataTable
    /// The DATA step's variables, looked up before the table's columns.
    var slots: WhereSlots? = nil

    func bind(_ node: WhereSyntax) throws(WhereError) -> WhereOperand {
        let here = "the expression at position \(node.position)"
        switch node.kind {
        case .number(let d):
            return WhereOperand(code: .number { _ in d }, isConstant: true, what: "the number \(WhereFormat.number(d))", position: node.position)
        case .missing:
            return WhereOperand(code: .number { _ in .nan }, isConstant: true, what: "the missing value '.'", position: node.position)
        case .string(let s):
            return WhereOperand(code: .string { _ in s }, isConstant: true, what: "the string '\(s)'", position: node.position)
        case .column(let name):
            return try column(name, at: node.position)
        case .negate(let x):
            let o = try bind(x)
            let f = try Self.number(o, for: "unary '-'")
            return fold(.number { -f($0) }, [o], here, node.position)
        case .not(let x):
            let o = try bind(x)
            let c = try Self.condition(o, for: "'not'")
            return fold(.condition { !c($0) }, [o], here, node.position)
        case .arithmetic(let op, let l, let r):
            return try arithmetic(op, try bind(l), try bind(r), node.position)
        case .concat(let l, let r):
            let (lo, ro) = (try bind(l), try bind(r))
            let (lf, rf) = (try Self.text(lo, for: "'||'"), try Self.text(ro, for: "'||'"))
            return fold(.string { lf($0) + rf($0) }, [lo, ro], here, node.position)
        case .logical(let op, let l, let r):
            let (lo, ro) = (try bind(l), try bind(r))
            let (lc, rc) = (try Self.condition(lo, for: "'\(op.rawValue)'"), try Self.condition(ro, for: "'\(op.rawValue)'"))
            let code: WhereCompiled = op == .and ? .condition { lc($0) && rc($0) } : .condition { lc($0) || rc($0) }
            return fold(code, [lo, ro], here, node.position)
        case .compare(let op, let l, let r):
            let (lo, ro) = (try bind(l), try bind(r))
            let order = try Self.order(lo, ro, operator: "'\(op.rawValue)'", at: node.position)
            return fold(.condition(Self.test(op, order)), [lo, ro], here, node.position)
        case .between(let x, let low, let high, let negated):
            let (xo, lo, ho) = (try bind(x), try bind(low), try bind(high))
            let above = try Self.order(xo, lo, operator: "BETWEEN", at: node.position)
            let below = try Self.order(xo, ho, operator: "BETWEEN", at: node.position)
            let inside: @Sendable (Int) -> Bool = { above($0) >= 0 && below($0) <= 0 }
            return fold(.condition(Self.negated(inside, negated)), [xo, lo, ho], here, node.position)
        case .inList(let x, let items, let negated):
            let xo = try bind(x)
            let member = try Self.membership(xo, items)
            return fold(.condition(Self.negated(member, negated)), [xo], here, node.position)
        case .contains(let x, let needle, let negated):
            let (xo, no) = (try bind(x), try bind(needle))
            let (hf, nf) = (try Self.string(xo, for: "CONTAINS"), try Self.string(no, for: "CONTAINS"))
            let test: @Sendable (Int) -> Bool
            if no.isConstant {
                let needle = WhereSemantics.Needle(Array(nf(0).utf8))   // prepared once for every row
                test = { WhereSemantics.contains(hf($0), needle) }
            } else {
                test = { WhereSemantics.contains(hf($0), WhereSemantics.Needle(Array(nf($0).utf8))) }
            }
            return fold(.condition(Self.negated(test, negated)), [xo, no], here, node.position)
        case .like(let x, let pattern, let negated):
            let xo = try bind(x)
            let f = try Self.string(xo, for: "LIKE")
            let compiled = WhereLikePattern(pattern)
            let test: @Sendable (Int) -> Bool = { compiled.matches(f($0)) }
            return fold(.condition(Self.negated(test, negated)), [xo], here, node.position)
        case .isMissing(let x, let negated):
            let xo = try bind(x)
            let test = Self.missingTest(xo)
            return fold(.condition(Self.negated(test, negated)), [xo], here, node.position)
        case .call(let name, let args):
            if let slots, let elements = slots.array(name), args.count == 1 {   // SAS also writes a(i)
                return try Self.element(slots, name, elements, try bind(args[0]), at: node.position)
            }
            if let slots, name.lowercased() == "dim", args.count == 1, case .column(let a) = args[0].kind, let elements = slots.array(a) {
                let n = Double(elements.count)
                return WhereOperand(code: .number { _ in n }, isConstant: true, what: "dim(\(a))", position: node.position)
            }
            var bound: [WhereOperand] = []
            for a in args { bound.append(try bind(a)) }
            let code = try WhereFunctions.compile(name, bound, at: node.position)
            return fold(code, bound, "\(name.lowercased())(...) at position \(node.position)", node.position)
        case .element(let name, let sub):
            guard let slots, let elements = slots.array(name) else {
                throw WhereError(message: "'\(name)' is not an array (declare it with an ARRAY statement)", position: node.position)
            }
            return try Self.element(slots, name, elements, try bind(sub), at: node.position)
        }
    }

    // MARK: leaves

    private func column(_ name: String, at position: Int) throws(WhereError) -> WhereOperand {
        if let slots {
            if let k = slots.slot(name) { return Self.read(slots, k, name, at: position) }
            if table.columnIndex(name) == nil, slots.pending.contains(name.lowercased()) {
                return Self.read(slots, slots.add(name, .number), name, at: position)
            }
        }
        guard let index = table.columnIndex(name) else {
            let names = table.columns.map(\.name)
            throw WhereError(
                message: "unknown column '\(name)' in table '\(table.name)'\(WhereSuggestion.hint(for: name, in: names))",
                position: position)
        }
        let col = table.columns[index]
        let what = "the column '\(col.name)'"
        let code: WhereCompiled
        switch col.data {
        case .double(let a): code = .number { a[$0] }
        case .int64(let a): code = .number { a[$0].map(Double.init) ?? .nan }
        case .int32(let a): code = .number { a[$0].map(Double.init) ?? .nan }
        case .varchar(let a): code = .string { a[$0] ?? "" }
        case .varbinary(let a): code = .binary { a[$0] }
        }
        return WhereOperand(code: code, isConstant: false, what: what, position: position)
    }

    // MARK: operators

    private func arithmetic(_ op: WhereSyntax.ArithmeticOp, _ lo: WhereOperand, _ ro: WhereOperand, _ position: Int) throws(WhereError) -> WhereOperand {
        let context = "'\(op.rawValue)'"
        let (l, r) = (try Self.number(lo, for: context), try Self.number(ro, for: context))
        let code: @Sendable (Int) -> Double
        switch op {
        case .add: code = { l($0) + r($0) }
        case .subtract: code = { l($0) - r($0) }
        case .multiply: code = { l($0) * r($0) }
        case .divide: code = { let d = r($0); return d == 0 ? .nan : l($0) / d }  // SAS: x/0 is missing
        case .power: code = { let v = Foundation.pow(l($0), r($0)); return v.isFinite ? v : .nan }
        }
        return fold(.number(code), [lo, ro], "the expression at position \(position)", position)
    }

    /// If every child is constant, evaluate once and return a constant node.
    private func fold(_ code: WhereCompiled, _ children: [WhereOperand], _ what: String, _ position: Int) -> WhereOperand {
        guard children.allSatisfy(\.isConstant) else {
            return WhereOperand(code: code, isConstant: false, what: what, position: position)
        }
        let folded: WhereCompiled
        switch code {
        case .number(let f): let v = f(0); folded = .number { _ in v }
        case .string(let f): let v = f(0); folded = .string { _ in v }
        case .condition(let f): let v = f(0); folded = .condition { _ in v }
        case .binary(let f): let v = f(0); folded = .binary { _ in v }
        }
        return WhereOperand(code: folded, isConstant: true, what: what, position: position)
    }
}

// MARK: - coercions and comparisons

extension WhereBinder {
    /// Numbers as numbers; conditions as 1 (true) or 0 (false).
    static func number(_ o: WhereOperand, for context: String) throws(WhereError) -> @Sendable (Int) -> Double {
        switch o.code {
        case .number(let f): return f
        case .condition(let c): return { c($0) ? 1 : 0 }
        case .string, .binary:
            throw WhereError(message: "\(context) needs a number but \(o.what) is a \(o.typeWord)", position: o.position)
        }
    }

    /// Conditions as they are; numbers are true when neither missing nor zero (SAS rule).
    static func condition(_ o: WhereOperand, for context: String) throws(WhereError) -> @Sendable (Int) -> Bool {
        switch o.code {
        case .condition(let c): return c
        case .number(let f): return { let v = f($0); return !v.isNaN && v != 0 }
        case .string, .binary:
            throw WhereError(
                message: "\(context) needs a condition but \(o.what) is a \(o.typeWord); compare it with a value, e.g. = 'abc'",
                position: o.position)
        }
    }

    static func string(_ o: WhereOperand, for context: String) throws(WhereError) -> @Sendable (Int) -> String {
        if case .string(let f) = o.code { return f }
        throw WhereError(message: "\(context) needs a string but \(o.what) is a \(o.typeWord)", position: o.position)
    }

    /// For `||`: strings as they are, numbers as text (missing as "."), conditions as "1"/"0".
    static func text(_ o: WhereOperand, for context: String) throws(WhereError) -> @Sendable (Int) -> String {
        switch o.code {
        case .string(let f): return f
        case .number(let f): return { WhereSemantics.text(f($0)) }
        case .condition(let c): return { c($0) ? "1" : "0" }
        case .binary:
            throw WhereError(message: "\(context) needs a string but \(o.what) is a binary value", position: o.position)
        }
    }

    /// A closure giving the SAS order (-1, 0, 1) of two operands of the same kind; mismatched kinds are a type error.
    static func order(_ l: WhereOperand, _ r: WhereOperand, operator op: String, at position: Int) throws(WhereError) -> @Sendable (Int) -> Int {
        switch (l.code, r.code) {
        case (.string(let lf), .string(let rf)):
            if r.isConstant {
                let c = rf(0)
                return { WhereSemantics.compare(lf($0), c) }
            }
            return { WhereSemantics.compare(lf($0), rf($0)) }
        case (.number, _) where !isText(r), (.condition, _) where !isText(r):
            let lf = try number(l, for: op), rf = try number(r, for: op)
            if r.isConstant {
                let c = rf(0)
                return { WhereSemantics.compare(lf($0), c) }
            }
            return { WhereSemantics.compare(lf($0), rf($0)) }
        default:
            let hint = isText(l) != isText(r) ? "; quote the number to compare as text, or compare with a numeric column" : ""
            throw WhereError(
                message: "cannot compare \(l.what) (a \(l.typeWord)) with \(r.what) (a \(r.typeWord)) using \(op)\(hint)",
                position: position)
        }
    }

    private static func isText(_ o: WhereOperand) -> Bool {
        switch o.code {
        case .string, .binary: true
        default: false
        }
    }

    static func test(_ op: WhereSyntax.CompareOp, _ order: @escaping @Sendable (Int) -> Int) -> @Sendable (Int) -> Bool {
        switch op {
        case .eq: { order($0) == 0 }
        case .ne: { order($0) != 0 }
        case .lt: { order($0) < 0 }
        case .le: { order($0) <= 0 }
        case .gt: { order($0) > 0 }
        case .ge: { order($0) >= 0 }
        }
    }

    static func negated(_ test: @escaping @Sendable (Int) -> Bool, _ negate: Bool) -> @Sendable (Int) -> Bool {
        guard negate else { return test }
        return { !test($0) }
    }

    static func missingTest(_ o: WhereOperand) -> @Sendable (Int) -> Bool {
        switch o.code {
        case .number(let f): { f($0).isNaN }
        case .string(let f): { WhereSemantics.isMissing(f($0)) }
        case .condition: { _ in false }
        case .binary(let f): { f($0)?.isEmpty ?? true }
        }
    }

    /// `x in (...)`: constants only; strings compare ignoring trailing blanks, `a:b` ranges match integers.
    static func membership(_ x: WhereOperand, _ items: [(item: WhereSyntax.ListItem, position: Int)]) throws(WhereError) -> @Sendable (Int) -> Bool {
        switch x.code {
        case .string(let f):
            var set = Set<String>()
            for (item, position) in items {
                guard case .string(let s) = item else {
                    throw WhereError(message: "IN list item is a number but \(x.what) is a string; quote the item", position: position)
                }
                set.insert(WhereSemantics.trimTrailingBlanks(s))
            }
            let members = set
            return { members.contains(WhereSemantics.trimTrailingBlanks(f($0))) }
        case .number, .condition:
            let f = try number(x, for: "IN")
            var set = Set<Double>(), ranges: [(Double, Double)] = [], missing = false
            for (item, position) in items {
                switch item {
                case .string: throw WhereError(message: "IN list item is a string but \(x.what) is a number", position: position)
                case .number(let d): if d.isNaN { missing = true } else { set.insert(d) }
                case .range(let lo, let hi): ranges.append((lo, hi))
                }
            }
            let (members, spans, matchesMissing) = (set, ranges, missing)
            return { row in
                let v = f(row)
                if v.isNaN { return matchesMissing }
                if members.contains(v) { return true }
                return v == v.rounded() && spans.contains { v >= $0.0 && v <= $0.1 }
            }
        case .binary:
            throw WhereError(message: "IN needs a number or a string but \(x.what) is a binary value", position: x.position)
        }
    }
}
