import CASWire

extension Parser {
    /// Words that are operators and cannot name a variable.
    static let operatorWords: Set<String> = ["and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "contains"]

    /// A primary followed by `.member`, `[subscripts]`.
    mutating func parsePostfix() throws(CASLError) -> Expr {
        var e = try parsePrimary()
        var h = height
        while true {
            let pos = current.pos
            if accept(".") {
                h += 1
                e = try node(.member(e, try name("a member name after '.'"), pos), height: h)
            } else if accept("[") {
                let subscripts = try parseSubscripts()
                h = max(h, height) + 1
                e = try node(.index(e, subscripts, pos), height: h)
            } else {
                return e
            }
        }
    }

    /// `[i]`, `[i, j]`, `[, j]` — an empty position is nil. Leaves ``height`` at the tallest subscript's.
    mutating func parseSubscripts() throws(CASLError) -> [Expr?] {
        let saved = equalsCompares
        equalsCompares = true
        defer { equalsCompares = saved }
        var subs: [Expr?] = []
        var pending: Expr?
        var sawAny = false
        var tallest = 0
        while !accept("]") {
            if atEOF { throw expected("']' to close the index") }
            if accept(",") {
                subs.append(pending)
                pending = nil
                sawAny = true
                continue
            }
            guard pending == nil else { throw expected("',' or ']' in the index") }
            pending = try parseExpression()
            tallest = max(tallest, height)
        }
        height = tallest
        if pending != nil || sawAny { subs.append(pending) }
        guard !subs.isEmpty, subs.contains(where: { $0 != nil }) else { throw .syntax("an index needs at least one subscript", at: current.pos) }
        return subs
    }

    mutating func parsePrimary() throws(CASLError) -> Expr {
        let t = current
        switch t.kind {
        case .int(let v): advance(); return try node(.literal(.int(v), t.pos), height: 1)
        case .double(let v): advance(); return try node(.literal(.double(v), t.pos), height: 1)
        case .string(let s): advance(); return try node(.literal(.string(s), t.pos), height: 1)
        case .ident(let s):
            let w = s.lowercased()
            if w == "true" || w == "false" { advance(); return try node(.literal(.bool(w == "true"), t.pos), height: 1) }
            if Self.operatorWords.contains(w) { throw expected("an expression") }
            advance()
            if accept("(") {
                let args = try parseArguments()
                return try node(.call(s, args, t.pos), height: height + 1)
            }
            return try node(.variable(s, t.pos), height: 1)
        case .punct("("):
            advance()
            let saved = equalsCompares
            equalsCompares = true
            let e = try parseExpression()  // leaves height at e's
            equalsCompares = saved
            try expect(")", "to close '('")
            return e
        case .punct("{"):
            advance()
            return try parseBraces(t.pos)
        default:
            throw expected("an expression")
        }
    }

    /// Leaves ``height`` at the tallest argument's (0 for none).
    mutating func parseArguments() throws(CASLError) -> [Expr] {
        let saved = equalsCompares
        equalsCompares = true
        defer { equalsCompares = saved }
        var args: [Expr] = []
        var tallest = 0
        while !accept(")") {
            if !args.isEmpty { try expect(",", "between arguments") }
            args.append(try parseExpression())
            tallest = max(tallest, height)
        }
        height = tallest
        return args
    }

    /// `{1, 2}` (a list) or `{a=1, "b c"=2}` (a dictionary); commas are optional; `{}` is an empty list.
    mutating func parseBraces(_ pos: SourcePos) throws(CASLError) -> Expr {
        let isDict: Bool
        switch current.kind {
        case .ident, .string: isDict = peek(1).isPunct("=")
        default: isDict = false
        }
        if isDict {
            let entries = try parseParameters(until: "}")
            advance()
            return try node(.dict(entries, pos), height: height + 1)
        }
        var items: [Expr] = []
        var tallest = 0
        while !accept("}") {
            if accept(",") { continue }
            if atEOF { throw expected("'}' to close the list") }
            items.append(try parseValueExpression())
            tallest = max(tallest, height)
        }
        return try node(.list(items, pos), height: tallest + 1)
    }
}
