import CASL
import CASWire

/// Compact S-expressions of parsed code, so parser tests read as `(+ 1 (* 2 3))`.
enum ASTDump {
    static func expr(_ e: Expr) -> String {
        switch e {
        case .literal(let v, _):
            switch v {
            case .string(let s): return "'\(s)'"
            case .int(let i): return "\(i)"
            case .double(let d): return "\(d)"
            case .bool(let b): return "\(b)"
            default: return "?"
            }
        case .variable(let n, _): return n
        case .list(let items, _): return "{" + items.map(expr).joined(separator: " ") + "}"
        case .dict(let entries, _): return "{" + entries.map { "\($0.key)=\(expr($0.value))" }.joined(separator: " ") + "}"
        case .member(let b, let n, _): return "\(expr(b)).\(n)"
        case .index(let b, let subs, _): return "\(expr(b))[" + subs.map { $0.map(expr) ?? "_" }.joined(separator: ",") + "]"
        case .unary(let op, let x, _): return "(\(op.rawValue) \(expr(x)))"
        case .binary(let op, let a, let b, _): return "(\(op.rawValue) \(expr(a)) \(expr(b)))"
        case .call(let n, let args, _): return "\(n)(" + args.map(expr).joined(separator: " ") + ")"
        }
    }

    static func stmt(_ s: Stmt) -> String {
        switch s {
        case .assign(let t, let v, _): return "(set \(expr(t)) \(expr(v)))"
        case .expression(let e, _): return "(call \(expr(e)))"
        case .action(let a):
            var out = "(action \(a.name)"
            if let r = a.result { out += " result=\(r)" }
            if let st = a.status { out += " status=\(st)" }
            return out + a.parameters.map { " \($0.key)=\(expr($0.value))" }.joined() + ")"
        case .loadActionSet(let e, _): return "(loadactionset \(expr(e)))"
        case .print(let items, _): return "(print" + items.map { " " + expr($0) }.joined() + ")"
        case .describe(let e, _): return "(describe \(expr(e)))"
        case .ifThen(let c, let t, let e, _): return "(if \(expr(c)) \(stmt(t))" + (e.map { " else " + stmt($0) } ?? "") + ")"
        case .block(let body, _): return "(do" + body.map { " " + stmt($0) }.joined() + ")"
        case .doTo(let v, let f, let t, let by, let body, _):
            return "(for \(v) \(expr(f)) \(expr(t))" + (by.map { " by " + expr($0) } ?? "") + body.map { " " + stmt($0) }.joined() + ")"
        case .doOver(let k, let v, let c, let body, _):
            return "(over " + (k.map { $0 + "," } ?? "") + "\(v) \(expr(c))" + body.map { " " + stmt($0) }.joined() + ")"
        case .doWhile(let c, let until, let body, _): return "(\(until ? "until" : "while") \(expr(c))" + body.map { " " + stmt($0) }.joined() + ")"
        case .function(let f): return "(function \(f.name)(\(f.parameters.joined(separator: " ")))" + f.body.map { " " + stmt($0) }.joined() + ")"
        case .returnValue(let e, _): return "(return" + (e.map { " " + expr($0) } ?? "") + ")"
        case .exit: return "(exit)"
        case .saveResult(let e, let o, let r, _): return "(saveresult \(expr(e))" + o.map { " \($0.key)=\(expr($0.value))" }.joined() + (r ? " replace" : "") + ")"
        case .source(let n, let t, _): return "(source \(n) \(t.count))"
        case .noop: return "(noop)"
        }
    }

    static func program(_ src: String) throws -> String { try Parser.parse(src).statements.map(stmt).joined(separator: " ") }
}
