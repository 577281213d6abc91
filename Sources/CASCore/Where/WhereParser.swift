/// Recursive-descent parser for `where` expressions. Precedence, loosest first:
///
///     or  (or |)
///     and (and &)
///     not (not ^ ~)
///     predicate: comparison (chainable: 1 < x <= 5), [not] in (...), [not] between a and b,
///                [not] contains, [not] like, is [not] missing/null
///     ||  (concatenation)
///     + -
///     * /
///     unary - +
///     **  (right-associative)
///     literal, column, function call, ( expr )
struct WhereParser {
    private let tokens: [WhereToken]
    private var index = 0
    /// Parentheses, function calls, `not` and unary minus open inside each other at most this deep: the parser
    /// recurses once per level (several frames each), so a 4 KB string of `-` must not reach the stack's end.
    static let maxNesting = Limits.maxExpressionNesting
    /// The tallest tree the parser builds (`x=1 or x=2 or …` is one level per `or`): binding, evaluating and
    /// freeing recurse once per level. Long lists of alternatives belong in `in (…)`.
    static let maxHeight = 500
    private var nesting = 0

    private static let compareWords: [String: WhereSyntax.CompareOp] = [
        "eq": .eq, "ne": .ne, "lt": .lt, "le": .le, "gt": .gt, "ge": .ge,
    ]
    private static let compareSymbols: [String: WhereSyntax.CompareOp] = [
        "=": .eq, "^=": .ne, "~=": .ne, "!=": .ne, "<>": .ne, "<": .lt, "<=": .le, ">": .gt, ">=": .ge,
    ]
    /// Words that cannot be column names without a name literal (`'and'n`).
    static let reserved: Set<String> = [
        "and", "or", "not", "in", "between", "contains", "like", "is", "eq", "ne", "lt", "le", "gt", "ge",
    ]

    init(tokens: [WhereToken]) { self.tokens = tokens }

    static func parse(_ text: String) throws(WhereError) -> WhereSyntax {
        var parser = WhereParser(tokens: try WhereLexer.tokenize(text))
        if parser.current.kind == .end {
            throw WhereError(message: "empty where expression; expected a condition such as x > 1", position: 0)
        }
        let tree = try parser.orExpression()
        if parser.current.kind != .end {
            throw parser.unexpected("an operator (and, or, =, <, +, ...) or the end of the expression")
        }
        return tree
    }

    // MARK: token helpers

    private var current: WhereToken { tokens[index] }
    private func peek(_ offset: Int) -> WhereToken { tokens[min(index + offset, tokens.count - 1)] }
    private mutating func advance() -> WhereToken {
        defer { index = min(index + 1, tokens.count - 1) }
        return tokens[index]
    }

    /// Every node of the tree is made here, so no tree grows taller than ``maxHeight``.
    private func node(_ kind: WhereSyntax.Kind, at position: Int) throws(WhereError) -> WhereSyntax {
        let n = WhereSyntax(kind, at: position)
        guard n.height <= Self.maxHeight else {
            throw WhereError(
                message: "the expression is too long a chain: more than \(Self.maxHeight) operators applied one after"
                    + " another (write a long list of alternatives as x in (1, 2, ...))", position: position)
        }
        return n
    }

    /// Runs a parser level that may recurse into itself, at most ``maxNesting`` deep.
    private mutating func nested<T>(at position: Int, _ body: (inout WhereParser) throws(WhereError) -> T) throws(WhereError) -> T {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Self.maxNesting else {
            throw WhereError(
                message: "the expression is nested too deeply (more than \(Self.maxNesting) levels of parentheses,"
                    + " function calls, not or unary minus)", position: position)
        }
        return try body(&self)
    }

    private func unexpected(_ expected: String) -> WhereError {
        WhereError(message: "expected \(expected) but found \(current.display)", position: current.position)
    }

    private mutating func accept(keyword: String) -> WhereToken? {
        current.keyword == keyword ? advance() : nil
    }

    private mutating func accept(symbol: String) -> WhereToken? {
        current.isSymbol(symbol) ? advance() : nil
    }

    private mutating func expect(symbol: String, _ what: String) throws(WhereError) -> WhereToken {
        guard let t = accept(symbol: symbol) else { throw unexpected(what) }
        return t
    }

    private var atNot: Bool { current.keyword == "not" || current.isSymbol("^") || current.isSymbol("~") }

    // MARK: boolean levels

    private mutating func orExpression() throws(WhereError) -> WhereSyntax {
        var left = try andExpression()
        while let op = accept(keyword: "or") ?? accept(symbol: "|") {
            let right = try andExpression()
            left = try node(.logical(.or, left, right), at: op.position)
        }
        return left
    }

    private mutating func andExpression() throws(WhereError) -> WhereSyntax {
        var left = try notExpression()
        while let op = accept(keyword: "and") ?? accept(symbol: "&") {
            let right = try notExpression()
            left = try node(.logical(.and, left, right), at: op.position)
        }
        return left
    }

    private mutating func notExpression() throws(WhereError) -> WhereSyntax {
        if atNot {
            let op = advance()
            return try node(.not(try nested(at: op.position) { p throws(WhereError) in try p.notExpression() }), at: op.position)
        }
        return try predicate()
    }

    // MARK: predicates

    private mutating func predicate() throws(WhereError) -> WhereSyntax {
        let left = try concatenation()
        if let op = compareOperator() {
            return try comparisonChain(left, first: op)
        }
        if current.keyword == "is" { return try isMissing(left) }
        var negated = false
        if atNot, let next = peek(1).keyword, ["in", "between", "contains", "like"].contains(next) {
            negated = true
            index += 1
        }
        switch current.keyword {
        case "in": return try inList(left, negated: negated)
        case "between": return try between(left, negated: negated)
        case "contains": return try contains(left, negated: negated)
        case "like": return try like(left, negated: negated)
        default:
            if current.isSymbol("?") { return try contains(left, negated: negated) }
            return left
        }
    }

    private mutating func compareOperator() -> (WhereSyntax.CompareOp, Int)? {
        let t = current
        let op: WhereSyntax.CompareOp?
        switch t.kind {
        case .symbol(let s): op = Self.compareSymbols[s]
        case .identifier(let s): op = Self.compareWords[s.lowercased()]
        default: op = nil
        }
        guard let op else { return nil }
        index += 1
        return (op, t.position)
    }

    /// `a < b`, and SAS-style chains `1 < x <= 5` meaning `1 < x and x <= 5`.
    private mutating func comparisonChain(_ first: WhereSyntax, first op: (WhereSyntax.CompareOp, Int)) throws(WhereError) -> WhereSyntax {
        var left = first
        var (cmp, position) = op
        var result: WhereSyntax?
        while true {
            let right = try concatenation()
            let test = try node(.compare(cmp, left, right), at: position)
            result = try result.map { r throws(WhereError) in try node(.logical(.and, r, test), at: position) } ?? test
            guard let next = compareOperator() else { return result! }
            (cmp, position) = next
            left = right
        }
    }

    private mutating func isMissing(_ operand: WhereSyntax) throws(WhereError) -> WhereSyntax {
        let isToken = advance()
        let negated = accept(keyword: "not") != nil || accept(symbol: "^") != nil || accept(symbol: "~") != nil
        guard accept(keyword: "missing") != nil || accept(keyword: "null") != nil else {
            throw unexpected("'missing' or 'null' after 'is\(negated ? " not" : "")'")
        }
        return try node(.isMissing(operand, negated: negated), at: isToken.position)
    }

    private mutating func inList(_ operand: WhereSyntax, negated: Bool) throws(WhereError) -> WhereSyntax {
        let inToken = advance()
        _ = try expect(symbol: "(", "'(' to start the IN list")
        var items: [(item: WhereSyntax.ListItem, position: Int)] = []
        repeat {
            if current.isSymbol(")") && items.isEmpty { throw unexpected("at least one constant in the IN list") }
            items.append(try listItem())
        } while accept(symbol: ",") != nil
        _ = try expect(symbol: ")", "',' or ')' in the IN list")
        return try node(.inList(operand, items, negated: negated), at: inToken.position)
    }

    /// A constant: number (optionally signed), string, `.`, or an integer range `low:high`.
    private mutating func listItem() throws(WhereError) -> (item: WhereSyntax.ListItem, position: Int) {
        let start = current.position
        func signedNumber(_ parser: inout WhereParser) throws(WhereError) -> Double {
            var sign = 1.0
            if parser.accept(symbol: "-") != nil { sign = -1 } else { _ = parser.accept(symbol: "+") }
            switch parser.current.kind {
            case .number(let d): _ = parser.advance(); return sign * d
            case .missing: _ = parser.advance(); return .nan
            default: throw parser.unexpected("a constant (number, string or '.') in the IN list")
            }
        }
        if case .string(let s) = current.kind {
            _ = advance()
            return (.string(s), start)
        }
        let low = try signedNumber(&self)
        guard accept(symbol: ":") != nil else { return (.number(low), start) }
        let high = try signedNumber(&self)
        guard low == low.rounded(), high == high.rounded(), low <= high else {
            throw WhereError(message: "an IN range needs integers low:high with low <= high", position: start)
        }
        return (.range(low, high), start)
    }

    private mutating func between(_ operand: WhereSyntax, negated: Bool) throws(WhereError) -> WhereSyntax {
        let token = advance()
        let low = try concatenation()
        guard accept(keyword: "and") != nil || accept(symbol: "&") != nil else {
            throw unexpected("'and' between the two bounds of BETWEEN")
        }
        let high = try concatenation()
        return try node(.between(operand, low: low, high: high, negated: negated), at: token.position)
    }

    private mutating func contains(_ operand: WhereSyntax, negated: Bool) throws(WhereError) -> WhereSyntax {
        let token = advance()
        let needle = try concatenation()
        return try node(.contains(operand, needle, negated: negated), at: token.position)
    }

    private mutating func like(_ operand: WhereSyntax, negated: Bool) throws(WhereError) -> WhereSyntax {
        let token = advance()
        guard case .string(let pattern) = current.kind else {
            throw unexpected("a quoted pattern after LIKE (e.g. 'A%')")
        }
        _ = advance()
        return try node(.like(operand, pattern: pattern, negated: negated), at: token.position)
    }

    // MARK: value levels

    private mutating func concatenation() throws(WhereError) -> WhereSyntax {
        var left = try additive()
        while let op = accept(symbol: "||") {
            let right = try additive()
            left = try node(.concat(left, right), at: op.position)
        }
        return left
    }

    private mutating func additive() throws(WhereError) -> WhereSyntax {
        var left = try multiplicative()
        while current.isSymbol("+") || current.isSymbol("-") {
            let op = advance()
            let right = try multiplicative()
            left = try node(.arithmetic(op.isSymbol("+") ? .add : .subtract, left, right), at: op.position)
        }
        return left
    }

    private mutating func multiplicative() throws(WhereError) -> WhereSyntax {
        var left = try unary()
        while current.isSymbol("*") || current.isSymbol("/") {
            let op = advance()
            let right = try unary()
            left = try node(.arithmetic(op.isSymbol("*") ? .multiply : .divide, left, right), at: op.position)
        }
        return left
    }

    private mutating func unary() throws(WhereError) -> WhereSyntax {
        if let op = accept(symbol: "-") {
            return try node(.negate(try nested(at: op.position) { p throws(WhereError) in try p.unary() }), at: op.position)
        }
        if let op = accept(symbol: "+") { return try nested(at: op.position) { p throws(WhereError) in try p.unary() } }
        return try power()
    }

    private mutating func power() throws(WhereError) -> WhereSyntax {
        let base = try primary()
        if let op = accept(symbol: "**") {
            let exponent = try nested(at: op.position) { p throws(WhereError) in try p.unary() }  // right-associative: 2**3**2 = 2**(3**2)
            return try node(.arithmetic(.power, base, exponent), at: op.position)
        }
        return base
    }

    private mutating func primary() throws(WhereError) -> WhereSyntax {
        let t = current
        switch t.kind {
        case .number(let d): _ = advance(); return try node(.number(d), at: t.position)
        case .missing: _ = advance(); return try node(.missing, at: t.position)
        case .string(let s): _ = advance(); return try node(.string(s), at: t.position)
        case .nameLiteral(let s): _ = advance(); return try node(.column(s), at: t.position)
        case .symbol("("):
            _ = advance()
            let inner = try nested(at: t.position) { p throws(WhereError) in try p.orExpression() }
            _ = try expect(symbol: ")", "')' to close the '(' at position \(t.position)")
            return inner
        case .identifier(let name):
            if peek(1).isSymbol("(") { return try call(name) }
            if peek(1).isSymbol("{") || peek(1).isSymbol("[") { return try element(name) }
            if Self.reserved.contains(name.lowercased()) {
                throw WhereError(
                    message: "expected an operand (number, string, column or '(') but found the keyword '\(name)'"
                        + " (write a column with this name as '\(name)'n)", position: t.position)
            }
            _ = advance()
            return try node(.column(name), at: t.position)
        default:
            throw unexpected("an operand (number, string, column or '(')")
        }
    }

    /// `a{i}` or `a[i]`: a DATA step array's element.
    private mutating func element(_ name: String) throws(WhereError) -> WhereSyntax {
        let start = advance().position
        let close = advance().isSymbol("{") ? "}" : "]"
        let index = try nested(at: start) { p throws(WhereError) in try p.orExpression() }
        _ = try expect(symbol: close, "'\(close)' to close the subscript of \(name)")
        return try node(.element(name, index), at: start)
    }

    private mutating func call(_ name: String) throws(WhereError) -> WhereSyntax {
        let start = advance().position
        _ = advance()  // (
        var args: [WhereSyntax] = []
        if accept(symbol: ")") == nil {
            repeat { args.append(try nested(at: start) { p throws(WhereError) in try p.orExpression() }) } while accept(symbol: ",") != nil
            _ = try expect(symbol: ")", "',' or ')' after the arguments of \(name)")
        }
        return try node(.call(name, args), at: start)
    }
}
