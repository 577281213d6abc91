/// Turns script text into tokens.
///
/// - comments `/* … */`, and SAS comment statements `* … ;` where a statement may start;
/// - strings in `'…'` or `"…"`; a doubled quote stands for one (`'it''s'`); strings may span lines;
/// - numbers `12`, `1.5`, `.5`, `1e-3` (integers that do not fit 64 bits become doubles);
/// - `source name; … endsource;` keeps the text in between verbatim (a `rawSource` token).
public struct Lexer {
    let chars: [Unicode.Scalar]
    var i = 0
    var line = 1
    var column = 1
    var tokens: [Token] = []

    public init(_ source: String) { chars = Array(source.unicodeScalars) }

    /// All tokens, ending with `.eof`.
    public static func tokenize(_ source: String) throws(CASLError) -> [Token] {
        var lx = Lexer(source)
        try lx.run()
        return lx.tokens
    }

    mutating func run() throws(CASLError) {
        while true {
            try skipSpaceAndComments()
            guard i < chars.count else { break }
            let pos = here
            if atStatementStart && chars[i] == "*" && peek(1) != "*" {
                try skipCommentStatement(pos)
                continue
            }
            tokens.append(try next(pos))
            if isSourceHeader { try readSourceBody() }
        }
        tokens.append(Token(.eof, here))
    }

    var here: SourcePos { SourcePos(line: line, column: column) }

    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < chars.count ? chars[i + k] : nil }

    mutating func advance() {
        if chars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
        i += 1
    }

    /// True where a new statement may begin: at the start or after `;`.
    var atStatementStart: Bool { tokens.last.map { $0.isPunct(";") } ?? true }

    mutating func skipSpaceAndComments() throws(CASLError) {
        while let c = peek() {
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" {
                advance()
            } else if c == "/" && peek(1) == "*" {
                let start = here
                advance(); advance()
                while !(peek() == "*" && peek(1) == "/") {
                    guard peek() != nil else { throw .syntax("unterminated comment: '/*' has no matching '*/'", at: start) }
                    advance()
                }
                advance(); advance()
            } else {
                return
            }
        }
    }

    mutating func skipCommentStatement(_ start: SourcePos) throws(CASLError) {
        while let c = peek(), c != ";" { advance() }
        guard peek() == ";" else { throw .syntax("unterminated comment statement: '*' comments end with ';'", at: start) }
        advance()
    }

    mutating func next(_ pos: SourcePos) throws(CASLError) -> Token {
        let c = chars[i]
        if c == "\"" || c == "'" { return Token(.string(try readString(quote: c, pos)), pos) }
        if Self.isDigit(c) || (c == "." && peek(1).map(Self.isDigit) == true && !previousEndsValue) {
            return Token(try readNumber(pos), pos)
        }
        if Self.isIdentStart(c) { return Token(.ident(readIdent()), pos) }
        for op in Self.operators where matches(op) {
            for _ in op.unicodeScalars { advance() }
            return Token(.punct(op), pos)
        }
        throw .syntax("unexpected character '\(c.escaped(asASCII: false))'", at: pos)
    }

    /// Longest first, so that `**` wins over `*` and `<=` over `<`.
    static let operators = ["**", "||", "==", "^=", "~=", "!=", "<=", ">=", ";", ",", ".", "/", "(", ")", "{", "}", "[", "]",
                            "=", "<", ">", "+", "-", "*", "^", "~", "&", ":"]

    func matches(_ op: String) -> Bool {
        var k = 0
        for s in op.unicodeScalars {
            guard peek(k) == s else { return false }
            k += 1
        }
        return true
    }

    /// After a name, a number, a string or a closing bracket a '.' is member access, not a number.
    var previousEndsValue: Bool {
        guard let t = tokens.last else { return false }
        switch t.kind {
        case .ident, .int, .double, .string: return true
        case .punct(let p): return p == ")" || p == "]" || p == "}"
        default: return false
        }
    }

    mutating func readString(quote: Unicode.Scalar, _ start: SourcePos) throws(CASLError) -> String {
        advance()
        var s = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw .syntax("unterminated string: the quote \(quote) opened here is never closed", at: start) }
            if c == quote {
                if peek(1) == quote { s.append(c); advance(); advance(); continue }
                advance()
                return String(s)
            }
            s.append(c)
            advance()
        }
    }

    mutating func readNumber(_ start: SourcePos) throws(CASLError) -> Token.Kind {
        var text = ""
        var isInteger = true
        while let c = peek(), Self.isDigit(c) { text.unicodeScalars.append(c); advance() }
        if peek() == ".", peek(1).map(Self.isDigit) == true || text.isEmpty == false && !(peek(1).map(Self.isIdentStart) ?? false) {
            isInteger = false
            text += "."
            advance()
            while let c = peek(), Self.isDigit(c) { text.unicodeScalars.append(c); advance() }
        }
        if peek() == "e" || peek() == "E", let n = peek(1), Self.isDigit(n) || ((n == "+" || n == "-") && peek(2).map(Self.isDigit) == true) {
            isInteger = false
            text += "e"
            advance()
            if peek() == "+" || peek() == "-" { text.unicodeScalars.append(chars[i]); advance() }
            while let c = peek(), Self.isDigit(c) { text.unicodeScalars.append(c); advance() }
        }
        if let c = peek(), Self.isIdentStart(c) { throw .syntax("a number may not run into a name ('\(text)\(c)')", at: start) }
        if isInteger, let v = Int64(text) { return .int(v) }
        guard let d = Double(text.hasPrefix(".") ? "0" + text : text) else { throw .syntax("malformed number '\(text)'", at: start) }
        return .double(d)
    }

    mutating func readIdent() -> String {
        var s = String.UnicodeScalarView()
        while let c = peek(), Self.isIdentStart(c) || Self.isDigit(c) { s.append(c); advance() }
        return String(s)
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    static func isIdentStart(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
}
