/// The part of Perl regular expressions `prxmatch('/pattern/flags', s)` runs: what swat's
/// `str.contains`, `startswith`, `endswith` and `isnumeric` send. Literal characters (metacharacters
/// escaped with `\`), `^` and `$` anchors, `\s*` / `\s+` (blanks) and `\d*` / `\d+` (digits); flag `i`
/// ignores case. Matching is greedy without backtracking, which gives the regular expression's answer
/// because a class is never followed by something it could also match (checked when the pattern is
/// read); any other pattern is refused — caslite runs no backtracking regular expressions, whose
/// time has no bound.
struct WherePattern: Sendable {
    enum Token: Sendable, Equatable {
        case literal(Character)
        case blanks(atLeastOne: Bool)
        case digits(atLeastOne: Bool)

        func accepts(_ c: Character) -> Bool {
            switch self {
            case .literal(let l): c == l
            case .blanks: c.isWhitespace
            case .digits: c.isASCII && c.isNumber
            }
        }
    }

    var tokens: [Token] = []
    var anchoredStart = false, anchoredEnd = false, ignoreCase = false

    /// Reads `/pattern/flags`; nil and a reason when caslite does not run it.
    static func parse(_ text: String) -> Result<WherePattern, WhereError> {
        func refuse(_ why: String) -> Result<WherePattern, WhereError> {
            .failure(WhereError(message: "prxmatch(): \(why); caslite matches literal text with ^, $, \\s*, \\s+, \\d* and \\d+ (no backtracking regular expressions: their time has no bound)", position: 0))
        }
        guard text.first == "/", let close = text.lastIndex(of: "/"), close != text.startIndex else { return refuse("the pattern must be written /pattern/flags") }
        var p = WherePattern()
        for f in text[text.index(after: close)...] {
            switch f {
            case "i": p.ignoreCase = true
            case "u", "l": continue
            default: return refuse("the flag '\(f)' is not supported")
            }
        }
        var body = Array(text[text.index(after: text.startIndex)..<close])
        if body.first == "^" { p.anchoredStart = true; body.removeFirst() }
        if body.last == "$", body.count < 2 || body[body.count - 2] != "\\" { p.anchoredEnd = true; body.removeLast() }
        var i = 0
        while i < body.count {
            let c = body[i]
            if c == "\\" {
                guard i + 1 < body.count else { return refuse("the pattern ends with \\") }
                let e = body[i + 1]
                let quantifier = i + 2 < body.count ? body[i + 2] : nil
                switch e {
                case "s", "d":
                    guard quantifier == "*" || quantifier == "+" else { return refuse("\\\(e) needs * or +") }
                    p.tokens.append(e == "s" ? .blanks(atLeastOne: quantifier == "+") : .digits(atLeastOne: quantifier == "+"))
                    i += 3
                    continue
                default:
                    guard !(e.isLetter || e.isNumber) else { return refuse("\\\(e) is not supported") }
                    p.tokens.append(.literal(e))
                    i += 2
                    continue
                }
            }
            guard !"[](){}|.*+?^$".contains(c) else { return refuse("'\(c)' is not supported") }
            p.tokens.append(.literal(c))
            i += 1
        }
        if p.ignoreCase { p.tokens = p.tokens.map { if case .literal(let l) = $0 { .literal(Character(l.lowercased())) } else { $0 } } }
        for (a, b) in zip(p.tokens, p.tokens.dropFirst()) {
            if case .literal = a { continue }
            switch b {
            case .literal(let l): if a.accepts(l) { return refuse("a class followed by a character it also matches") }
            default: if a == b || (a.accepts(" ") && b.accepts(" ")) || (a.accepts("0") && b.accepts("0")) { return refuse("two classes in a row") }
            }
        }
        return .success(p)
    }

    /// 1-based position of the first match in `s`, 0 when there is none.
    func firstMatch(_ s: String) -> Int {
        let chars = Array(ignoreCase ? s.lowercased() : s)
        let starts = anchoredStart ? 0...0 : 0...chars.count
        for start in starts where matches(chars, from: start) { return start + 1 }
        return 0
    }

    private func matches(_ c: [Character], from start: Int) -> Bool {
        var i = start
        for t in tokens {
            switch t {
            case .literal(let l):
                guard i < c.count, c[i] == l else { return false }
                i += 1
            case .blanks(let one), .digits(let one):
                let from = i
                while i < c.count, t.accepts(c[i]) { i += 1 }
                if one && i == from { return false }
            }
        }
        return !anchoredEnd || i == c.count
    }
}
