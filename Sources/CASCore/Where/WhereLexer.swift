/// One token of a `where` expression, with its 0-based character position.
struct WhereToken: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case number(Double)
        /// The SAS numeric missing literal `.`.
        case missing
        case string(String)
        /// A SAS name literal `'my col'n`: a column name that need not be a valid identifier.
        case nameLiteral(String)
        /// An identifier as written (keywords are identifiers; the parser compares them case-insensitively).
        case identifier(String)
        /// An operator or punctuation mark: `( ) , : + - * / ** || = ^= ~= != <> < <= > >= ^ ~ & | ?`.
        case symbol(String)
        case end
    }

    var kind: Kind
    var position: Int

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .number(let d): "number \(WhereFormat.number(d))"
        case .missing: "missing value '.'"
        case .string(let s): "string '\(s)'"
        case .nameLiteral(let s): "name '\(s)'n"
        case .identifier(let s): "'\(s)'"
        case .symbol(let s): "'\(s)'"
        case .end: "end of expression"
        }
    }

    /// The lowercased identifier, for keyword checks (nil for other tokens).
    var keyword: String? {
        if case .identifier(let s) = kind { return s.lowercased() }
        return nil
    }

    func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }
}

/// Splits `where` text into tokens. Positions count Characters from 0.
struct WhereLexer {
    private let chars: [Character]
    private var i = 0

    init(_ text: String) { chars = Array(text) }

    /// Two-character operators, tried before single characters.
    private static let pairs: Set<String> = ["**", "||", "^=", "~=", "!=", "<>", "<=", ">=", "¬="]
    private static let singles: Set<Character> = ["(", ")", ",", ":", "+", "-", "*", "/", "=", "<", ">", "^", "~", "¬", "&", "|", "?", "{", "}", "[", "]"]

    static func tokenize(_ text: String) throws(WhereError) -> [WhereToken] {
        var lexer = WhereLexer(text)
        var tokens: [WhereToken] = []
        while true {
            let t = try lexer.next()
            tokens.append(t)
            if t.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Character? {
        i + offset < chars.count ? chars[i + offset] : nil
    }

    private static func isIdentifierStart(_ c: Character) -> Bool { c == "_" || c.isLetter }
    private static func isIdentifierPart(_ c: Character) -> Bool { c == "_" || c.isLetter || c.isNumber }

    mutating func next() throws(WhereError) -> WhereToken {
        while let c = peek(), c.isWhitespace { i += 1 }
        let start = i
        guard let c = peek() else { return WhereToken(kind: .end, position: start) }
        if c.isASCII && c.isNumber || c == "." { return try number(start) }
        if c == "'" || c == "\"" { return try quoted(start, quote: c) }
        if Self.isIdentifierStart(c) {
            while let d = peek(), Self.isIdentifierPart(d) { i += 1 }
            // the DATA step's FIRST.g and LAST.g: one name with its dot
            if ["first", "last"].contains(String(chars[start..<i]).lowercased()), peek() == ".", let d = peek(1), Self.isIdentifierStart(d) {
                i += 1
                while let d = peek(), Self.isIdentifierPart(d) { i += 1 }
            }
            return WhereToken(kind: .identifier(String(chars[start..<i])), position: start)
        }
        if let d = peek(1), Self.pairs.contains(String([c, d])) {
            i += 2
            let s = String([c, d])
            return WhereToken(kind: .symbol(s == "¬=" ? "^=" : s), position: start)
        }
        if Self.singles.contains(c) {
            i += 1
            return WhereToken(kind: .symbol(c == "¬" ? "^" : String(c)), position: start)
        }
        throw WhereError(message: "unexpected character '\(c)'; expected an operand or an operator", position: start)
    }

    /// `12`, `1.5`, `.5`, `1e-3`, or `.` alone (the missing value).
    private mutating func number(_ start: Int) throws(WhereError) -> WhereToken {
        func digits() { while let d = peek(), d.isASCII, d.isNumber { i += 1 } }
        digits()
        if peek() == "." {
            i += 1
            digits()
        }
        if i - start == 1 && chars[start] == "." {
            if let d = peek(), Self.isIdentifierPart(d) {
                throw WhereError(message: "special missing values such as '.\(d)' are not supported; use '.'", position: start)
            }
            return WhereToken(kind: .missing, position: start)
        }
        if let e = peek(), e == "e" || e == "E" {
            let save = i
            i += 1
            if let s = peek(), s == "+" || s == "-" { i += 1 }
            if let d = peek(), d.isASCII, d.isNumber {
                digits()
            } else {
                i = save
            }
        }
        if let d = peek(), Self.isIdentifierPart(d) {
            throw WhereError(message: "malformed number '\(String(chars[start...i]))'; expected digits, '.', or an exponent", position: start)
        }
        guard let value = Double(String(chars[start..<i])) else {
            throw WhereError(message: "malformed number '\(String(chars[start..<i]))'", position: start)
        }
        return WhereToken(kind: .number(value), position: start)
    }

    /// `'it''s'`, `"say ""hi"""`, name literals `'my col'n`, and SAS date, time and datetime literals
    /// (`'01jan2020'd`, `'13:30't`, `'01jan2020:13:30:00'dt`), which become numbers.
    private mutating func quoted(_ start: Int, quote: Character) throws(WhereError) -> WhereToken {
        i += 1
        var text = ""
        while true {
            guard let c = peek() else {
                throw WhereError(message: "unterminated string; expected a closing \(quote)", position: start)
            }
            i += 1
            if c == quote {
                if peek() == quote {
                    text.append(quote)
                    i += 1
                    continue
                }
                break
            }
            text.append(c)
        }
        if let n = peek(), n == "n" || n == "N", !(peek(1).map(Self.isIdentifierPart) ?? false) {
            i += 1
            return WhereToken(kind: .nameLiteral(text), position: start)
        }
        var suffix = ""
        while let n = peek(), Self.isIdentifierPart(n) {
            suffix.append(n)
            i += 1
        }
        guard !suffix.isEmpty else { return WhereToken(kind: .string(text), position: start) }
        guard let kind = WhereDateLiteral.Kind(rawValue: suffix.lowercased()) else {
            throw WhereError(
                message: "unknown suffix '\(suffix)' after a string; expected n (name), d (date), t (time) or dt (datetime)",
                position: i - suffix.count)
        }
        guard let value = WhereDateLiteral.value(text, kind) else {
            throw WhereError(message: "invalid \(kind.noun) literal '\(text)'\(kind.rawValue); expected e.g. \(kind.example)", position: start)
        }
        return WhereToken(kind: .number(value), position: start)
    }
}

/// How numbers print in error messages and in `||` concatenation.
public enum WhereFormat {
    public static func number(_ d: Double) -> String {
        if d.isNaN { return "." }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }
}
