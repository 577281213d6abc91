import CASWire
import Foundation

/// The built-in functions scripts can call. Names are case-insensitive.
enum Library {
    typealias Function = @Sendable ([Value], SourcePos) throws(CASLError) -> Value

    static let functions: [String: Function] = [
        "dim": { a, p throws(CASLError) in .int(Int64(try size(one(a, "dim", p), "dim", p))) },
        "length": { a, p throws(CASLError) in .int(Int64(try text(one(a, "length", p), "length", p).count)) },
        "exists": exists,
        "typeof": { a, p throws(CASLError) in .string(try one(a, "typeof", p).typeName) },
        "isnull": { a, p throws(CASLError) in .bool(try one(a, "isnull", p).isNull) },
        "upcase": { a, p throws(CASLError) in .string(try text(one(a, "upcase", p), "upcase", p).uppercased()) },
        "lowcase": { a, p throws(CASLError) in .string(try text(one(a, "lowcase", p), "lowcase", p).lowercased()) },
        "strip": { a, p throws(CASLError) in .string(try text(one(a, "strip", p), "strip", p).trimmingCharacters(in: .whitespaces)) },
        "substr": substr,
        "find": find,
        "tostring": { a, p throws(CASLError) in
            let v = try one(a, "tostring", p)
            return .string(v.stringValue ?? ValueFormatter.scalar(v))
        },
        "tonumber": { a, p throws(CASLError) in
            let s = try text(one(a, "tonumber", p), "tonumber", p).trimmingCharacters(in: .whitespaces)
            if let i = Int64(s) { return .int(i) }
            return Double(s).map { .double($0) } ?? .null
        },
        "keys": { a, p throws(CASLError) in
            guard case .dict(let d) = try one(a, "keys", p) else { throw .runtime("keys needs a dictionary", at: p) }
            return .list(d.keys.map { .string($0) })
        },
        "abs": math("abs") { abs($0) },
        "floor": math("floor") { $0.rounded(.down) },
        "ceil": math("ceil") { $0.rounded(.up) },
        "round": math("round") { $0.rounded() },
        "sqrt": math("sqrt") { $0.squareRoot() },
        "exp": math("exp") { Foundation.exp($0) },
        "log": math("log") { Foundation.log($0) },
        "mod": { a, p throws(CASLError) in
            let (x, y) = try two(a, "mod", p)
            if case .int(let i) = x, case .int(let j) = y, j != 0 {
                let r = i.remainderReportingOverflow(dividingBy: j)
                return .int(r.overflow ? 0 : r.partialValue)  // Int64.min % -1 is 0
            }
            let (u, v) = (try number(x, "mod", p), try number(y, "mod", p))
            guard v != 0 else { throw .runtime("mod by zero", at: p) }
            return .double(u.truncatingRemainder(dividingBy: v))
        },
        "min": { a, p throws(CASLError) in try extreme(a, "min", p, <) },
        "max": { a, p throws(CASLError) in try extreme(a, "max", p, >) },
        "sum": { a, p throws(CASLError) in
            var total = Value.int(0)
            for x in try numbers(a, "sum", p) where !x.isNull { total = try Operators.arithmetic(.add, total, x, at: p) }
            return total
        },
    ]

    static func one(_ a: [Value], _ f: String, _ p: SourcePos) throws(CASLError) -> Value {
        guard a.count == 1 else { throw .runtime("\(f) takes 1 argument, got \(a.count)", at: p) }
        return a[0]
    }

    static func two(_ a: [Value], _ f: String, _ p: SourcePos) throws(CASLError) -> (Value, Value) {
        guard a.count == 2 else { throw .runtime("\(f) takes 2 arguments, got \(a.count)", at: p) }
        return (a[0], a[1])
    }

    static func text(_ v: Value, _ f: String, _ p: SourcePos) throws(CASLError) -> String {
        guard let s = v.stringValue else { throw .runtime("\(f) needs a string, got \(Operators.article(v))", at: p) }
        return s
    }

    static func number(_ v: Value, _ f: String, _ p: SourcePos) throws(CASLError) -> Double {
        guard v.boolValue == nil, let n = Operators.number(v) else { throw .runtime("\(f) needs a number, got \(Operators.article(v))", at: p) }
        return Operators.double(n)
    }

    /// Elements of a list or dictionary, rows of a table, characters of a string.
    static func size(_ v: Value, _ f: String, _ p: SourcePos) throws(CASLError) -> Int {
        switch v {
        case .list(let l): return l.count
        case .dict(let d): return d.count
        case .table(let t): return t.rowCount
        case .string(let s): return s.count
        default: throw .runtime("\(f) needs a list, dictionary, table or string, got \(Operators.article(v))", at: p)
        }
    }

    static func math(_ f: String, _ op: @escaping @Sendable (Double) -> Double) -> Function {
        { a, p throws(CASLError) in
            let v = try one(a, f, p)
            if v.isNull { return .null }
            if case .int(let i) = v, f != "sqrt", f != "exp", f != "log" { return f == "abs" ? (i == .min ? .double(op(Double(i))) : .int(abs(i))) : v }
            return .double(op(try number(v, f, p)))
        }
    }

    static func exists(_ a: [Value], _ p: SourcePos) throws(CASLError) -> Value {
        let (d, k) = try two(a, "exists", p)
        guard let key = k.stringValue else { throw .runtime("exists needs a key string as its second argument", at: p) }
        switch d {
        case .dict(let x): return .bool(x[key] != nil)
        case .table(let t): return .bool(t.columnIndex(key) != nil)
        case .list([]): return .bool(false)
        default: throw .runtime("exists needs a dictionary or table, got \(Operators.article(d))", at: p)
        }
    }

    /// `substr(s, start [, length])`, 1-based like SAS.
    static func substr(_ a: [Value], _ p: SourcePos) throws(CASLError) -> Value {
        guard a.count == 2 || a.count == 3 else { throw .runtime("substr takes 2 or 3 arguments, got \(a.count)", at: p) }
        let s = Array(try text(a[0], "substr", p))
        let start = try Access.position(a[1], count: s.count + 1, what: "string", at: p)
        var end = s.count
        if a.count == 3 {
            guard let n = a[2].intValue, n >= 0 else { throw .runtime("substr's length must be a whole number ≥ 0", at: p) }
            end = min(s.count, start + Int(min(n, Int64(s.count))))
        }
        return .string(String(s[start..<max(start, end)]))
    }

    /// `find(s, sub)`: the 1-based position of `sub` in `s`, 0 when absent.
    static func find(_ a: [Value], _ p: SourcePos) throws(CASLError) -> Value {
        let (x, y) = try two(a, "find", p)
        let s = try text(x, "find", p), t = try text(y, "find", p)
        guard !t.isEmpty, let r = s.range(of: t) else { return .int(0) }
        return .int(Int64(s.distance(from: s.startIndex, to: r.lowerBound) + 1))
    }

    static func numbers(_ a: [Value], _ f: String, _ p: SourcePos) throws(CASLError) -> [Value] {
        let items = a.count == 1 ? (a[0].listValue ?? a) : a
        for x in items where !x.isNull { _ = try number(x, f, p) }
        return items
    }

    static func extreme(_ a: [Value], _ f: String, _ p: SourcePos, _ better: (Double, Double) -> Bool) throws(CASLError) -> Value {
        var best: Value = .null
        for x in try numbers(a, f, p) where !x.isNull {
            if best.isNull || better(Operators.double(Operators.number(x)!), Operators.double(Operators.number(best)!)) { best = x }
        }
        return best
    }
}
