import CASWire
import Foundation

/// Arithmetic, comparison and concatenation on script values. A missing value (null) in
/// arithmetic gives a missing result, as in SAS.
enum Operators {
    static func apply(_ op: BinaryOp, _ a: Value, _ b: Value, at pos: SourcePos, maxString: Int) throws(CASLError) -> Value {
        switch op {
        case .add, .subtract, .multiply, .divide, .power: return try arithmetic(op, a, b, at: pos)
        case .concat: return try concat(a, b, at: pos, maxString: maxString)
        case .equal: return .bool(equal(a, b))
        case .notEqual: return .bool(!equal(a, b))
        case .less, .lessEqual, .greater, .greaterEqual: return .bool(try compare(op, a, b, at: pos))
        case .contains: return .bool(try contains(a, b, at: pos))
        case .and, .or:  // the interpreter evaluates these itself, short-circuiting
            let x = try truthy(a, at: pos), y = try truthy(b, at: pos)
            return .bool(op == .and ? x && y : x || y)
        }
    }

    /// A number for arithmetic: integers stay exact, booleans count as 0/1.
    enum Number { case int(Int64), double(Double) }

    static func number(_ v: Value) -> Number? {
        switch v {
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .bool(let b): .int(b ? 1 : 0)
        default: nil
        }
    }

    static func arithmetic(_ op: BinaryOp, _ a: Value, _ b: Value, at pos: SourcePos) throws(CASLError) -> Value {
        if a.isNull || b.isNull {
            guard a.isNull || number(a) != nil, b.isNull || number(b) != nil else { throw typeError(op, a, b, at: pos) }
            return .null
        }
        guard let x = number(a), let y = number(b) else { throw typeError(op, a, b, at: pos) }
        if case .int(let i) = x, case .int(let j) = y, op != .divide, op != .power {
            let r: (partialValue: Int64, overflow: Bool)
            switch op {
            case .add: r = i.addingReportingOverflow(j)
            case .subtract: r = i.subtractingReportingOverflow(j)
            default: r = i.multipliedReportingOverflow(by: j)
            }
            if !r.overflow { return .int(r.partialValue) }
        }
        let p = double(x), q = double(y)
        switch op {
        case .add: return .double(p + q)
        case .subtract: return .double(p - q)
        case .multiply: return .double(p * q)
        case .divide:
            guard q != 0 else { throw .runtime("division by zero", at: pos) }
            return .double(p / q)
        default: return .double(pow(p, q))
        }
    }

    static func double(_ n: Number) -> Double { switch n { case .int(let i): Double(i); case .double(let d): d } }

    static func typeError(_ op: BinaryOp, _ a: Value, _ b: Value, at pos: SourcePos) -> CASLError {
        var msg = "cannot apply '\(op.rawValue)' to \(article(a)) and \(article(b))"
        if op == .add, a.stringValue != nil || b.stringValue != nil { msg += "; use || to join strings" }
        return .runtime(msg, at: pos)
    }

    /// "a string", "an integer", …
    static func article(_ v: Value) -> String {
        let n = v.typeName
        return (n.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + n
    }

    static func concat(_ a: Value, _ b: Value, at pos: SourcePos, maxString: Int) throws(CASLError) -> Value {
        guard let x = scalarText(a), let y = scalarText(b) else { throw typeError(.concat, a, b, at: pos) }
        guard x.utf8.count + y.utf8.count <= maxString else {
            throw CASLError(.limit, "CASL: a string would exceed \(maxString) bytes (string longer than the limit maxStringLength)", at: pos)
        }
        return .string(x + y)
    }

    /// The text of a scalar for `||` (a missing value is empty); nil for lists, dictionaries, tables.
    static func scalarText(_ v: Value) -> String? {
        switch v {
        case .string(let s): s
        case .null: ""
        case .int, .double, .bool: ValueFormatter.scalar(v)
        default: nil
        }
    }

    /// Equality: numbers compare by value across int/double; containers element-wise.
    static func equal(_ a: Value, _ b: Value) -> Bool {
        if let x = number(a), let y = number(b), !(a.boolValue != nil && b.boolValue != nil) {
            if case .int(let i) = x, case .int(let j) = y { return i == j }
            return double(x) == double(y)
        }
        switch (a, b) {
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && x.allSatisfy { e in y[e.key].map { equal(e.value, $0) } ?? false }
        default: return a == b
        }
    }

    static func compare(_ op: BinaryOp, _ a: Value, _ b: Value, at pos: SourcePos) throws(CASLError) -> Bool {
        let order: Int
        if let x = a.stringValue, let y = b.stringValue {
            order = x == y ? 0 : (x < y ? -1 : 1)
        } else if (a.isNull || number(a) != nil) && (b.isNull || number(b) != nil) {
            let p = a.isNull ? -Double.infinity : double(number(a)!)
            let q = b.isNull ? -Double.infinity : double(number(b)!)
            order = p == q ? 0 : (p < q ? -1 : 1)
        } else {
            throw typeError(op, a, b, at: pos)
        }
        switch op {
        case .less: return order < 0
        case .lessEqual: return order <= 0
        case .greater: return order > 0
        default: return order >= 0
        }
    }

    static func contains(_ a: Value, _ b: Value, at pos: SourcePos) throws(CASLError) -> Bool {
        switch a {
        case .string(let s):
            guard let t = b.stringValue else { throw typeError(.contains, a, b, at: pos) }
            return t.isEmpty || s.contains(t)
        case .list(let l): return l.contains { equal($0, b) }
        case .dict(let d):
            guard let k = b.stringValue else { throw typeError(.contains, a, b, at: pos) }
            return d[k] != nil
        default: throw typeError(.contains, a, b, at: pos)
        }
    }

    /// The truth of a condition: booleans, numbers (0 and missing are false).
    static func truthy(_ v: Value, at pos: SourcePos) throws(CASLError) -> Bool {
        switch v {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0 && !d.isNaN
        case .null: return false
        default: throw .runtime("a condition must be a boolean or a number, got \(article(v))", at: pos)
        }
    }
}
