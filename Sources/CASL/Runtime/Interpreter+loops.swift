import CASWire

extension Interpreter {
    /// `do i = a to b [by k];` — integers stay integers; `by` may be negative, not zero.
    func runCountingLoop(_ name: String, _ fromE: Expr, _ toE: Expr, _ byE: Expr?, _ body: [Stmt], at pos: SourcePos) async throws(CASLError) -> Flow {
        let from = try await eval(fromE), to = try await eval(toE)
        var by = Value.int(1)
        if let byE { by = try await eval(byE) }
        for (v, e) in [(from, fromE), (to, toE), (by, byE ?? fromE)] where Operators.number(v) == nil || v.boolValue != nil {
            throw .runtime("loop bounds must be numbers, got \(Operators.article(v))", at: e.pos)
        }
        if case .int(var i) = from, case .int(let end) = to, case .int(let step) = by {
            guard step != 0 else { throw .runtime("the loop step ('by') must not be 0", at: byE?.pos ?? pos) }
            while step > 0 ? i <= end : i >= end {
                try await self.step(pos)
                try assign(name, .int(i), at: pos)
                if case .returned(let r) = try await exec(body) { return .returned(r) }
                let (next, overflow) = i.addingReportingOverflow(step)
                if overflow { break }
                i = next
            }
            try assign(name, .int(i), at: pos)
            return .normal
        }
        let end = Operators.double(Operators.number(to)!), step = Operators.double(Operators.number(by)!)
        guard step != 0, !step.isNaN else { throw .runtime("the loop step ('by') must be a non-zero number", at: byE?.pos ?? pos) }
        var x = Operators.double(Operators.number(from)!)
        while step > 0 ? x <= end : x >= end {
            try await self.step(pos)
            try assign(name, .double(x), at: pos)
            if case .returned(let r) = try await exec(body) { return .returned(r) }
            x += step
        }
        try assign(name, .double(x), at: pos)
        return .normal
    }

    /// `do v over e;` and `do k, v over e;` over a list (k = position), dictionary (k = key) or table (rows; k = row number).
    func runOverLoop(_ key: String?, _ value: String, _ collection: Expr, _ body: [Stmt]) async throws(CASLError) -> Flow {
        let c = try await eval(collection)
        let count: Int
        switch c {
        case .list(let l): count = l.count
        case .dict(let d): count = d.count
        case .table(let t): count = t.rowCount
        default: throw .runtime("'do … over' needs a list, dictionary or table, got \(Operators.article(c))", at: collection.pos)
        }
        for k in 0..<count {
            try await self.step(collection.pos)
            let (kv, v) = Self.element(c, k)
            if let key { try assign(key, kv, at: collection.pos) }
            try assign(value, v, at: collection.pos)
            if case .returned(let r) = try await exec(body) { return .returned(r) }
        }
        return .normal
    }

    /// Element `k` (0-based) of a collection and its key (1-based position, dictionary key or row number).
    static func element(_ c: Value, _ k: Int) -> (Value, Value) {
        switch c {
        case .list(let l): (.int(Int64(k + 1)), l[k])
        case .dict(let d): (.string(d.entries[k].key), d.entries[k].value)
        case .table(let t): (.int(Int64(k + 1)), .dict(Access.row(t, k)))
        default: (.null, .null)
        }
    }

    /// `do while (c);` tests before each pass, `do until (c);` after.
    func runWhileLoop(_ condition: Expr, until: Bool, _ body: [Stmt]) async throws(CASLError) -> Flow {
        while true {
            try await self.step(condition.pos)
            if !until, !(try Operators.truthy(try await eval(condition), at: condition.pos)) { return .normal }
            if case .returned(let r) = try await exec(body) { return .returned(r) }
            if until, try Operators.truthy(try await eval(condition), at: condition.pos) { return .normal }
        }
    }
}
