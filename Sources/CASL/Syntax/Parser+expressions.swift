import CASWire

extension Parser {
    /// A full expression (lowest precedence: `or`).
    mutating func parseExpression() throws(CASLError) -> Expr {
        try nest()
        defer { depth -= 1 }
        var left = try parseAnd()
        while current.isWord("or") {
            let pos = current.pos
            advance()
            left = .binary(.or, left, try parseAnd(), pos)
        }
        return left
    }

    /// A parameter or dictionary value: `=` does not compare at its top level.
    mutating func parseValueExpression() throws(CASLError) -> Expr {
        let saved = equalsCompares
        equalsCompares = false
        defer { equalsCompares = saved }
        return try parseExpression()
    }

    mutating func parseAnd() throws(CASLError) -> Expr {
        var left = try parseNot()
        while current.isWord("and") || current.isPunct("&") {
            let pos = current.pos
            advance()
            left = .binary(.and, left, try parseNot(), pos)
        }
        return left
    }

    mutating func parseNot() throws(CASLError) -> Expr {
        if current.isWord("not") || current.isPunct("^") || current.isPunct("~") {
            let pos = current.pos
            advance()
            try nest()
            defer { depth -= 1 }
            return .unary(.not, try parseNot(), pos)
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws(CASLError) -> Expr {
        var left = try parseConcat()
        while let op = comparisonOperator {
            let pos = current.pos
            advance()
            left = .binary(op, left, try parseConcat(), pos)
        }
        return left
    }

    var comparisonOperator: BinaryOp? {
        switch current.kind {
        case .punct(let p):
            switch p {
            case "=": return equalsCompares ? .equal : nil
            case "==": return .equal
            case "^=", "~=", "!=": return .notEqual
            case "<": return .less
            case "<=": return .lessEqual
            case ">": return .greater
            case ">=": return .greaterEqual
            default: return nil
            }
        case .ident:
            switch current.word {
            case "eq": return .equal
            case "ne": return .notEqual
            case "lt": return .less
            case "le": return .lessEqual
            case "gt": return .greater
            case "ge": return .greaterEqual
            case "contains": return .contains
            default: return nil
            }
        default: return nil
        }
    }

    mutating func parseConcat() throws(CASLError) -> Expr {
        var left = try parseAdditive()
        while current.isPunct("||") {
            let pos = current.pos
            advance()
            left = .binary(.concat, left, try parseAdditive(), pos)
        }
        return left
    }

    mutating func parseAdditive() throws(CASLError) -> Expr {
        var left = try parseMultiplicative()
        while current.isPunct("+") || current.isPunct("-") {
            let op: BinaryOp = current.isPunct("+") ? .add : .subtract
            let pos = current.pos
            advance()
            left = .binary(op, left, try parseMultiplicative(), pos)
        }
        return left
    }

    mutating func parseMultiplicative() throws(CASLError) -> Expr {
        var left = try parseUnary()
        while current.isPunct("*") || current.isPunct("/") {
            let op: BinaryOp = current.isPunct("*") ? .multiply : .divide
            let pos = current.pos
            advance()
            left = .binary(op, left, try parseUnary(), pos)
        }
        return left
    }

    mutating func parseUnary() throws(CASLError) -> Expr {
        if current.isPunct("-") || current.isPunct("+") {
            let op: UnaryOp = current.isPunct("-") ? .negate : .plus
            let pos = current.pos
            advance()
            try nest()
            defer { depth -= 1 }
            return .unary(op, try parseUnary(), pos)
        }
        return try parsePower()
    }

    /// `a ** b`, right-associative; binds tighter than unary minus (`-2**2` is -4).
    mutating func parsePower() throws(CASLError) -> Expr {
        let base = try parsePostfix()
        guard current.isPunct("**") else { return base }
        let pos = current.pos
        advance()
        try nest()
        defer { depth -= 1 }
        return .binary(.power, base, try parseUnary(), pos)
    }
}
