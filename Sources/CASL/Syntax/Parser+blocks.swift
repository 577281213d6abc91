import CASWire

extension Parser {
    /// `do;`, `do i = a to b [by k];`, `do [k,] v over e;`, `do while (c);`, `do until (c);` — then a body and `end;`.
    mutating func parseDo(_ pos: SourcePos) throws(CASLError) -> Stmt {
        advance()
        if accept(";") { return .block(try parseBody("do"), pos) }
        if current.isWord("while") || current.isWord("until") {
            let until = current.isWord("until")
            advance()
            let condition = try parseExpression()
            try expect(";", "after the loop condition")
            return .doWhile(condition: condition, until: until, body: try parseBody("do"), pos)
        }
        let first = try name("';', a loop variable, 'while' or 'until' after 'do'")
        if accept("=") {
            let saved = equalsCompares
            equalsCompares = false
            defer { equalsCompares = saved }
            let from = try parseExpression()
            try expectWord("to", "in 'do \(first) = … to …'")
            let to = try parseExpression()
            let by: Expr? = acceptWord("by") ? try parseExpression() : nil
            try expect(";", "after the loop range")
            equalsCompares = saved
            return .doTo(variable: first, from: from, to: to, by: by, body: try parseBody("do"), pos)
        }
        var key: String?
        var value = first
        if accept(",") {
            key = first
            value = try name("a second loop variable after ','")
        }
        try expectWord("over", "after the loop variable (do v over e; or do i = a to b;)")
        let collection = try parseExpression()
        try expect(";", "after the collection")
        return .doOver(key: key, value: value, collection: collection, body: try parseBody("do"), pos)
    }

    /// Statements up to `end;` (the `end;` is consumed). `func` or a name may follow `end` in a function.
    mutating func parseBody(_ opener: String, allowName: Bool = false) throws(CASLError) -> [Stmt] {
        var body: [Stmt] = []
        let start = current.pos
        while !current.isWord("end") || peek(1).isPunct("=") {
            if atEOF { throw .syntax("expected 'end;' to close the '\(opener)' opened before \(start)", at: current.pos) }
            body.append(try parseStatement())
        }
        advance()
        if allowName, case .ident = current.kind { advance() }
        try expect(";", "after 'end'")
        return body
    }

    /// `function f(a, b); … end;` (also `end func;`).
    mutating func parseFunction(_ pos: SourcePos) throws(CASLError) -> FunctionDef {
        advance()
        let n = try name("a function name")
        try expect("(", "after the function name")
        var params: [String] = []
        while !accept(")") {
            if !params.isEmpty { try expect(",", "between parameters") }
            params.append(try name("a parameter name or ')'"))
        }
        try expect(";", "after the function header")
        return FunctionDef(name: n, parameters: params, body: try parseBody("function \(n)", allowName: true), pos: pos)
    }
}
