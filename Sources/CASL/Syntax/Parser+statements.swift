import CASWire

extension Parser {
    mutating func parseStatement() throws(CASLError) -> Stmt {
        try nest()
        defer { depth -= 1 }
        let t = current
        if accept(";") { return .noop(t.pos) }
        if let w = t.word, let keyword = try parseKeywordStatement(w, t.pos) { return keyword }
        if isActionCallStart { return .action(try parseActionCall(t.pos)) }
        return try parseAssignmentOrCall(t.pos)
    }

    /// Statements introduced by a keyword; nil when `word` is not one (or is used as a variable).
    mutating func parseKeywordStatement(_ word: String, _ pos: SourcePos) throws(CASLError) -> Stmt? {
        if peek(1).isPunct("=") || peek(1).isPunct(".") || peek(1).isPunct("[") { return nil }  // a variable of that name
        switch word {
        case "if": return try parseIf(pos)
        case "do": return try parseDo(pos)
        case "print": advance(); return .print(try parseItems("print"), pos)
        case "describe":
            advance()
            let e = try parseExpression()
            try expect(";", "after the describe statement")
            return .describe(e, pos)
        case "function": return .function(try parseFunction(pos))
        case "return":
            advance()
            if accept(";") { return .returnValue(nil, pos) }
            let e = try parseExpression()
            try expect(";", "after the return value")
            return .returnValue(e, pos)
        case "exit":
            advance()
            if !current.isPunct(";") { _ = try parseExpression() }
            try expect(";", "after 'exit'")
            return .exit(pos)
        case "saveresult": return try parseSaveResult(pos)
        case "loadactionset": return try parseLoadActionSet(pos)
        case "action": advance(); return .action(try parseActionCall(pos))
        case "source": return try parseSource(pos)
        case "run", "quit":
            guard peek(1).isPunct(";") else { return nil }
            advance(); advance()
            return .noop(pos)
        case "proc":
            advance()
            _ = try name("a procedure name after 'proc'")
            try expect(";", "after 'proc …'")
            return .noop(pos)
        case "end": throw .syntax("unexpected 'end': there is no open 'do' block or function", at: pos)
        case "else": throw .syntax("unexpected 'else': it must follow 'if … then …;'", at: pos)
        default: return nil
        }
    }

    /// `set.name` followed by `/`, `;`, `result=` or `status=`; or a bare name followed by `/`.
    var isActionCallStart: Bool {
        guard case .ident = current.kind else { return false }
        if peek(1).isPunct("/") { return true }
        guard peek(1).isPunct("."), case .ident = peek(2).kind else { return false }
        let after = peek(3)
        if after.isPunct("/") || after.isPunct(";") { return true }
        return (after.isWord("result") || after.isWord("status")) && peek(4).isPunct("=")
    }

    mutating func parseActionCall(_ pos: SourcePos) throws(CASLError) -> ActionCall {
        var full = try name("an action name (set.action)")
        if accept(".") { full += "." + (try name("an action name after '\(full).'")) }
        var call = ActionCall(name: full, parameters: [], result: nil, status: nil, pos: pos)
        while current.isWord("result") || current.isWord("status") {
            let which = current.word!
            advance()
            try expect("=", "after '\(which)'")
            let v = try name("a variable name after '\(which)='")
            if which == "result" { call.result = v } else { call.status = v }
        }
        if accept("/") { call.parameters = try parseParameters(until: ";") }
        try expect(";", "at the end of the action call (parameters go after '/')")
        return call
    }

    /// `name=value` pairs (commas optional) up to the closing punctuation, which is not consumed. Leaves
    /// ``height`` at the tallest value's (0 for none).
    mutating func parseParameters(until close: String) throws(CASLError) -> [DictEntry] {
        var out: [DictEntry] = []
        var tallest = 0
        while !current.isPunct(close) {
            if accept(",") { continue }
            let pos = current.pos
            let key: String
            if case .string(let s) = current.kind { key = s; advance() } else { key = try name("a parameter name or '\(close)'") }
            try expect("=", "after the parameter name '\(key)'")
            out.append(DictEntry(key: key, value: try parseValueExpression(), pos: pos))
            tallest = max(tallest, height)
        }
        height = tallest
        return out
    }

    mutating func parseAssignmentOrCall(_ pos: SourcePos) throws(CASLError) -> Stmt {
        guard case .ident = current.kind else { throw expected("a statement") }
        let saved = equalsCompares
        equalsCompares = false
        let target = try parseExpression()
        equalsCompares = saved
        if accept("=") {
            guard Self.isAssignable(target) else { throw .syntax("the left side of '=' must be a variable, a member or an element", at: pos) }
            let value = try parseExpression()
            try expect(";", "after the assigned value")
            return .assign(target: target, value: value, pos)
        }
        guard case .call = target else { throw expected("'=' or an action call ('set.action / …;')") }
        try expect(";", "after the function call")
        return .expression(target, pos)
    }

    static func isAssignable(_ e: Expr) -> Bool {
        switch e {
        case .variable: true
        case .member(let base, _, _): isAssignable(base)
        case .index(let base, let subs, _): subs.count == 1 && subs[0] != nil && isAssignable(base)
        default: false
        }
    }

    mutating func parseItems(_ statement: String) throws(CASLError) -> [Expr] {
        var items: [Expr] = []
        while !accept(";") {
            if accept(",") { continue }
            if atEOF { throw expected("';' at the end of the \(statement) statement") }
            items.append(try parseExpression())
        }
        return items
    }

    mutating func parseIf(_ pos: SourcePos) throws(CASLError) -> Stmt {
        advance()
        let condition = try parseExpression()
        try expectWord("then", "after the if condition")
        let then = try parseStatement()
        var otherwise: Stmt?
        if acceptWord("else") { otherwise = try parseStatement() }
        return .ifThen(condition: condition, then: then, else: otherwise, pos)
    }

    mutating func parseSaveResult(_ pos: SourcePos) throws(CASLError) -> Stmt {
        advance()
        let saved = equalsCompares
        equalsCompares = false
        let e = try parseExpression()
        equalsCompares = saved
        var options: [DictEntry] = []
        var replace = false
        while !accept(";") {
            let p = current.pos
            let key = try name("a saveresult option (casout=, caslib=, replace) or ';'")
            if key.lowercased() == "replace" && !current.isPunct("=") { replace = true; continue }
            try expect("=", "after '\(key)'")
            options.append(DictEntry(key: key, value: try parseValueExpression(), pos: p))
        }
        return .saveResult(e, options: options, replace: replace, pos)
    }

    mutating func parseLoadActionSet(_ pos: SourcePos) throws(CASLError) -> Stmt {
        advance()
        if accept("/") {
            let params = try parseParameters(until: ";")
            advance()
            guard let set = params.first(where: { $0.key.lowercased() == "actionset" }) else {
                throw .syntax("expected actionSet=\"name\" after 'loadactionset /'", at: pos)
            }
            return .loadActionSet(set.value, pos)
        }
        let e = try parseExpression()
        try expect(";", "after the action set name")
        return .loadActionSet(e, pos)
    }

    mutating func parseSource(_ pos: SourcePos) throws(CASLError) -> Stmt {
        advance()
        let n = try name("a variable name after 'source'")
        try expect(";", "after 'source \(n)'")
        guard case .rawSource(let text) = current.kind else { throw expected("the source text and 'endsource;'") }
        advance()
        try expect(";", "after 'endsource'")
        return .source(name: n, text: text, pos)
    }
}
