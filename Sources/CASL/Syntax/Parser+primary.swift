import CASWire

extension Parser {
    /// Words that are operators and cannot name a variable.
    static let operatorWords: Set<String> = ["and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "contains"]

    /// A primary followed by `.member`, `[subscripts]`.
    mutating func parsePostfix() throws(CASLError) -> Expr {
        var e = try parsePrimary()
        while true {
            let pos = current.pos
            if accept(".") {
                e = .member(e, try name("a member name after '.'"), pos)
            } else if accept("[") {
                e = .index(e, try parseSubscripts(), pos)
            } else {
                return e
            }
        }
    }

    /// `[i]`, `[i, j]`, `[, j]` — an empty position is nil.
    mutating func parseSubscripts() throws(CASLError) -> [Expr?] {
        let saved = equalsCompares
        equalsCompares = true
        defer { equalsCompares = saved }
        var subs: [Expr?] = []
        var pending: Expr?
        var sawAny = false
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
        }
        if pending != nil || sawAny { subs.append(pending) }
        guard !subs.isEmpty, subs.contains(where: { $0 != nil }) else { throw .syntax("an index needs at least one subscript", at: current.pos) }
        return subs
    }

    mutating func parsePrimary() throws(CASLError) -> Expr {
        let t = current
        switch t.kind {
        case .int(let v): advance(); return .literal(.int(v), t.pos)
        case .double(let v): advance(); return .literal(.double(v), t.pos)
        case .string(let s): advance(); return .literal(.string(s), t.pos)
        case .ident(let s):
            let w = s.lowercased()
            if w == "true" || w == "false" { advance(); return .literal(.bool(w == "true"), t.pos) }
            if Self.operatorWords.contains(w) { throw expected("an expression") }
            advance()
            if accept("(") { return .call(s, try parseArguments(), t.pos) }
            return .variable(s, t.pos)
        case .punct("("):
            advance()
            let saved = equalsCompares
            equalsCompares = true
            let e = try parseExpression()
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

    mutating func parseArguments() throws(CASLError) -> [Expr] {
        let saved = equalsCompares
        equalsCompares = true
        defer { equalsCompares = saved }
        var args: [Expr] = []
        while !accept(")") {
            if !args.isEmpty { try expect(",", "between arguments") }
            args.append(try parseExpression())
        }
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
            return .dict(entries, pos)
        }
        var items: [Expr] = []
        while !accept("}") {
            if accept(",") { continue }
            if atEOF { throw expected("'}' to close the list") }
            items.append(try parseValueExpression())
        }
        return .list(items, pos)
    }
}
