import CASWire

/// How a statement ended: normally, or by `return` (which unwinds to the function call).
enum Flow {
    case normal
    case returned(Value)
}

extension Interpreter {
    func exec(_ statements: [Stmt]) async throws(CASLError) -> Flow {
        for s in statements {
            let flow = try await exec(s)
            if case .returned = flow { return flow }
        }
        return .normal
    }

    func exec(_ s: Stmt) async throws(CASLError) -> Flow {
        try await step(s.pos)
        switch s {
        case .assign(let target, let value, let pos):
            let v = try await eval(value)
            try await assign(to: target, v, at: pos)
        case .expression(let e, _):
            _ = try await eval(e)
        case .action(let call):
            try await runAction(call)
        case .loadActionSet(let e, let pos):
            try await loadActionSet(try await eval(e), at: pos)
        case .print(let items, _):
            try await printItems(items)
        case .describe(let e, _):
            let v = try await eval(e)
            for line in Describer.lines(v, name: Self.label(e)).prefix(limits.maxOutput / 40) { host.output(line) }
        case .ifThen(let condition, let then, let otherwise, _):
            if try Operators.truthy(try await eval(condition), at: condition.pos) { return try await exec(then) }
            if let otherwise { return try await exec(otherwise) }
        case .block(let body, _):
            return try await exec(body)
        case .doTo(let v, let from, let to, let by, let body, let pos):
            return try await runCountingLoop(v, from, to, by, body, at: pos)
        case .doOver(let key, let value, let collection, let body, _):
            return try await runOverLoop(key, value, collection, body)
        case .doWhile(let condition, let until, let body, _):
            return try await runWhileLoop(condition, until: until, body)
        case .function(let f):
            try define(f)
        case .returnValue(let e, let pos):
            var v = Value.null
            if let e { v = try await eval(e) }
            if frames.count == 1 { throw CASLError(.exit, "return at top level", at: pos) }
            return .returned(v)
        case .exit(let pos):
            throw CASLError(.exit, "exit", at: pos)
        case .saveResult(let e, let options, let replace, let pos):
            try await saveResult(e, options, replace: replace, at: pos)
        case .source(let name, let text, _):
            try assign(name, .string(text), at: s.pos)
        case .noop:
            break
        }
        return .normal
    }

    func printItems(_ items: [Expr]) async throws(CASLError) {
        var f = ValueFormatter(limit: limits.maxOutput)
        for item in items { f.display(try await eval(item)) }
        for line in f.text.split(separator: "\n", omittingEmptySubsequences: false) { host.output(String(line)) }
    }

    /// The name `describe` shows: the expression as written, for variables and members.
    static func label(_ e: Expr) -> String {
        switch e {
        case .variable(let n, _): n
        case .member(let b, let n, _): label(b) + "." + n
        case .index(let b, _, _): label(b) + "[…]"
        default: "value"
        }
    }
}
