import CASWire

/// Parses tokens into a `Program`. Errors name the position and what was expected.
///
/// ```swift
/// let program = try Parser.parse("x = 1; print x + 1;")
/// ```
public struct Parser {
    var tokens: [Token]
    var i = 0
    /// Current nesting of statements and expressions; deep nesting is refused, not a stack overflow.
    var depth = 0
    /// Whether a bare `=` is a comparison here (not inside parameter lists, dictionary entries or at statement level).
    var equalsCompares = true
    public static let maxDepth = 200
    /// The height (levels of `Expr`) of the expression the last `parse…` function returned. Evaluating and
    /// freeing a tree recurse once per level, and `1+1+…` grows a level per operator without nesting, so
    /// every node is made through ``node(_:height:)``, which refuses trees taller than ``maxHeight``.
    var height = 0
    public static let maxHeight = 1000

    public init(tokens: [Token]) { self.tokens = tokens }

    /// Lexes and parses a whole script.
    public static func parse(_ source: String) throws(CASLError) -> Program {
        var p = Parser(tokens: try Lexer.tokenize(source))
        return try p.parseProgram()
    }

    mutating func parseProgram() throws(CASLError) -> Program {
        var statements: [Stmt] = []
        while !atEOF {
            if current.isWord("end") { throw .syntax("unexpected 'end': there is no open 'do' block or function", at: current.pos) }
            if current.isWord("else") { throw .syntax("unexpected 'else': it must follow 'if … then …;'", at: current.pos) }
            statements.append(try parseStatement())
        }
        return Program(statements: statements)
    }

    // MARK: token helpers

    var current: Token { tokens[i] }
    func peek(_ k: Int) -> Token { tokens[min(i + k, tokens.count - 1)] }
    var atEOF: Bool { if case .eof = current.kind { true } else { false } }

    mutating func advance() { if i < tokens.count - 1 { i += 1 } }

    /// Consumes the punctuation `p` if it is next.
    mutating func accept(_ p: String) -> Bool {
        guard current.isPunct(p) else { return false }
        advance()
        return true
    }

    mutating func acceptWord(_ w: String) -> Bool {
        guard current.isWord(w) else { return false }
        advance()
        return true
    }

    mutating func expect(_ p: String, _ context: String) throws(CASLError) {
        guard accept(p) else { throw expected("'\(p)' \(context)") }
    }

    mutating func expectWord(_ w: String, _ context: String) throws(CASLError) {
        guard acceptWord(w) else { throw expected("'\(w)' \(context)") }
    }

    /// Reads a name (any identifier, keywords included).
    mutating func name(_ what: String) throws(CASLError) -> String {
        guard case .ident(let s) = current.kind else { throw expected(what) }
        advance()
        return s
    }

    func expected(_ what: String) -> CASLError {
        .syntax("expected \(what), found \(current.display)", at: current.pos)
    }

    /// Makes a node `height` levels tall, the one place where the height limit is checked.
    mutating func node(_ e: Expr, height h: Int) throws(CASLError) -> Expr {
        guard h <= Self.maxHeight else {
            throw .syntax("the expression is more than \(Self.maxHeight) operators deep (a long chain like 1+1+…):"
                + " split it into several statements", at: e.pos)
        }
        height = h
        return e
    }

    mutating func nest() throws(CASLError) {
        depth += 1
        if depth > Self.maxDepth { throw .syntax("the script is nested too deeply (more than \(Self.maxDepth) levels)", at: current.pos) }
    }
}
