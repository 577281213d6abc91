import CASWire

extension Parser {
    /// A full expression (lowest precedence: `or`).
    mutating func parseExpression() throws(CASLError) -> Expr {
        try nest()
        defer { depth -= 1 }
        var left = try parseAnd()
        var h = height
        while current.isWord("or") {
            let pos = current.pos
            advance()
            let right = try parseAnd()
            h = max(h, height) + 1
            left = try node(.binary(.or, left, right, pos), height: h)
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
        var h = height
        while current.isWord("and") || current.isPunct("&") {
            let pos = current.pos
            advance()
            let right = try parseNot()
            h = max(h, height) + 1
            left = try node(.binary(.and, left, right, pos), height: h)
        }
        return left
    }

    mutating func parseNot() throws(CASLError) -> Expr {
        if current.isWord("not") || current.isPunct("^") || current.isPunct("~") {
            let pos = current.pos
            advance()
            try nest()
            defer { depth -= 1 }
            let operand = try parseNot()
            return try node(.unary(.not, operand, pos), height: height + 1)
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws(CASLError) -> Expr {
        var left = try parseConcat()
        var h = height
        while let op = comparisonOperator {
            let pos = current.pos
            advance()
            let right = try parseConcat()
            h = max(h, height) + 1
            left = try node(.binary(op, left, right, pos), height: h)
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
        var h = height
        while current.isPunct("||") {
            let pos = current.pos
            advance()
            let right = try parseAdditive()
            h = max(h, height) + 1
            left = try node(.binary(.concat, left, right, pos), height: h)
        }
        return left
    }

    mutating func parseAdditive() throws(CASLError) -> Expr {
        var left = try parseMultiplicative()
        var h = height
        while current.isPunct("+") || current.isPunct("-") {
            let op: BinaryOp = current.isPunct("+") ? .add : .subtract
            let pos = current.pos
            advance()
            let right = try parseMultiplicative()
            h = max(h, height) + 1
            left = try node(.binary(op, left, right, pos), height: h)
        }
        return left
    }

    mutating func parseMultiplicative() throws(CASLError) -> Expr {
        var left = try parseUnary()
        var h = height
        while current.isPunct("*") || current.isPunct("/") {
            let op: BinaryOp = current.isPunct("*") ? .multiply : .divide
            let pos = current.pos
            advance()
            let right = try parseUnary()
            h = max(h, height) + 1
            left = try node(.binary(op, left, right, pos), height: h)
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
            let operand = try parseUnary()
            return try node(.unary(op, operand, pos), height: height + 1)
        }
        return try parsePower()
    }

    /// `a ** b`, right-associative; binds tighter than unary minus (`-2**2` is -4).
    mutating func parsePower() throws(CASLError) -> Expr {
        let base = try parsePostfix()
        let baseHeight = height
        guard current.isPunct("**") else { return base }
        let pos = current.pos
        advance()
        try nest()
        defer { depth -= 1 }
        let exponent = try parseUnary()
        return try node(.binary(.power, base, exponent, pos), height: max(baseHeight, height) + 1)
    }
}
