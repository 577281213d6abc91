import CASWire

/// An expression, with the position where it starts.
public indirect enum Expr: Sendable {
    /// A number, string or boolean literal.
    case literal(Value, SourcePos)
    case variable(String, SourcePos)
    /// `{1, 2, "a"}`
    case list([Expr], SourcePos)
    /// `{name="x", n=3}`
    case dict([DictEntry], SourcePos)
    /// `a.b`
    case member(Expr, String, SourcePos)
    /// `a[i]`, `t[i, j]`, `t[, "col"]` (an omitted subscript is nil).
    case index(Expr, [Expr?], SourcePos)
    case unary(UnaryOp, Expr, SourcePos)
    case binary(BinaryOp, Expr, Expr, SourcePos)
    /// `f(a, b)`: a built-in or user-defined function.
    case call(String, [Expr], SourcePos)

    public var pos: SourcePos {
        switch self {
        case .literal(_, let p), .variable(_, let p), .list(_, let p), .dict(_, let p), .member(_, _, let p),
             .index(_, _, let p), .unary(_, _, let p), .binary(_, _, _, let p), .call(_, _, let p):
            p
        }
    }
}

/// One `key=value` of a dictionary literal or an action's parameter list.
public struct DictEntry: Sendable {
    public var key: String
    public var value: Expr
    public var pos: SourcePos
    public init(key: String, value: Expr, pos: SourcePos) {
        self.key = key
        self.value = value
        self.pos = pos
    }
}

public enum UnaryOp: String, Sendable {
    case negate = "-", plus = "+", not = "not"
}

public enum BinaryOp: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", power = "**", concat = "||"
    case equal = "=", notEqual = "^=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", contains = "contains"
    case and = "and", or = "or"
}
