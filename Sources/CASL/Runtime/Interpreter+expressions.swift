import CASWire

extension Interpreter {
    func eval(_ e: Expr) async throws(CASLError) -> Value {
        switch e {
        case .literal(let v, _): return v
        case .variable(let n, let pos): return try lookup(n, at: pos)
        case .list(let items, let pos):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for x in items { out.append(try await eval(x)) }
            let v = Value.list(out)
            try checkSize(v, at: pos)
            return v
        case .dict(let entries, let pos):
            var d = ValueDict()
            for entry in entries { d[entry.key] = try await eval(entry.value) }
            let v = Value.dict(d)
            try checkSize(v, at: pos)
            return v
        case .member(let base, let name, let pos):
            return try Access.member(try await eval(base), name, at: pos)
        case .index(let base, let subs, let pos):
            let b = try await eval(base)
            return try Access.index(b, try await evalSubscripts(subs), at: pos)
        case .unary(let op, let x, let pos):
            return try unary(op, try await eval(x), at: pos)
        case .binary(let op, let a, let b, let pos):
            return try await binary(op, a, b, at: pos)
        case .call(let name, let args, let pos):
            return try await call(name, args, at: pos)
        }
    }

    func evalSubscripts(_ subs: [Expr?]) async throws(CASLError) -> [Value?] {
        var out: [Value?] = []
        for s in subs {
            if let s { out.append(try await eval(s)) } else { out.append(nil) }
        }
        return out
    }

    func unary(_ op: UnaryOp, _ v: Value, at pos: SourcePos) throws(CASLError) -> Value {
        switch op {
        case .not: return .bool(!(try Operators.truthy(v, at: pos)))
        case .plus, .negate:
            if v.isNull { return .null }
            guard let n = Operators.number(v) else { throw .runtime("cannot apply '\(op.rawValue)' to \(Operators.article(v))", at: pos) }
            if op == .plus { return v }
            switch n {
            case .int(let i) where i != .min: return .int(-i)
            default: return .double(-Operators.double(n))
            }
        }
    }

    func binary(_ op: BinaryOp, _ a: Expr, _ b: Expr, at pos: SourcePos) async throws(CASLError) -> Value {
        switch op {
        case .and:
            guard try Operators.truthy(try await eval(a), at: a.pos) else { return .bool(false) }
            return .bool(try Operators.truthy(try await eval(b), at: b.pos))
        case .or:
            if try Operators.truthy(try await eval(a), at: a.pos) { return .bool(true) }
            return .bool(try Operators.truthy(try await eval(b), at: b.pos))
        default:
            let x = try await eval(a)
            let y = try await eval(b)
            return try Operators.apply(op, x, y, at: pos, maxString: limits.maxStringLength)
        }
    }
}
