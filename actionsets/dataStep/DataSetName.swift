import CASCore

/// A table named in a DATA or SET statement: `name`, `"name"`, `"name"n`, `caslib.name`, followed by
/// data set options in parentheses (`caslib=`, `replace=`, `promote=`, `in=`, `keep=`, `drop=`, `rename=(old=new …)`; others are refused).
struct DataSetName: Sendable, Equatable {
    var name: String
    var caslib: String?
    var replace: Bool?
    var promote: Bool?
    /// `in=name`: a variable that is 1 in the rows this table contributes to (MERGE).
    var inFlag: String?
    /// `rename=(old=new …)`, applied as the table is read.
    var rename: [(from: String, to: String)] = []
    /// `keep=a b …` / `drop=a b …` (or in parentheses): the columns read from (written to) this table, by the names
    /// before rename=, as SAS applies them.
    var keep: [String]?
    var drop: [String] = []

    static func == (a: DataSetName, b: DataSetName) -> Bool {
        a.name == b.name && a.caslib == b.caslib && a.replace == b.replace && a.promote == b.promote && a.inFlag == b.inFlag
            && a.rename.map(\.from) == b.rename.map(\.from) && a.rename.map(\.to) == b.rename.map(\.to) && a.keep == b.keep && a.drop == b.drop
    }

    /// The names and options of a DATA or SET statement's list (`text` is what follows the keyword).
    static func list(_ text: String, statement: String) throws(ActionError) -> [DataSetName] {
        var s = Substring(text)
        var out: [DataSetName] = []
        while true {
            s = s.drop { $0.isWhitespace }
            guard let first = s.first else { break }
            var spec: DataSetName
            if first == "\"" || first == "'" {
                guard let (quoted, rest) = quotedString(s) else { throw problem("an unterminated quoted table name", statement) }
                s = rest.first.map { $0 == "n" || $0 == "N" } == true ? rest.dropFirst() : rest
                spec = DataSetName(name: quoted)
            } else {
                let word = s.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
                guard !word.isEmpty else { throw problem("'\(s.prefix(20))' where a table name was expected", statement) }
                s = s.dropFirst(word.count)
                let parts = word.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard parts.count <= 2, !parts.contains(where: \.isEmpty) else { throw problem("the table name '\(word)'", statement) }
                spec = parts.count == 2 ? DataSetName(name: parts[1], caslib: parts[0]) : DataSetName(name: parts[0])
            }
            s = s.drop { $0.isWhitespace }
            if s.first == "(" {
                guard let close = closing(s) else { throw problem("data set options without their ')'", statement) }
                try spec.apply(options: String(s[s.index(after: s.startIndex)..<close]), statement: statement)
                s = s[s.index(after: close)...]
            }
            out.append(spec)
        }
        return out
    }

    /// `caslib="x" replace=yes promote=no`.
    mutating func apply(options: String, statement: String) throws(ActionError) {
        var s = Substring(options)
        while true {
            s = s.drop { $0.isWhitespace }
            guard !s.isEmpty else { return }
            let key = s.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            s = s.dropFirst(key.count).drop { $0.isWhitespace }
            guard !key.isEmpty, s.first == "=" else { throw Self.problem("the data set option '\(s.prefix(20))'", statement) }
            s = s.dropFirst().drop { $0.isWhitespace }
            var value: String
            if ["keep", "drop"].contains(key.lowercased()) {
                // a list of names up to the next `option=` or the end (or in parentheses)
                var names: [String] = []
                if s.first == "(" {
                    guard let close = Self.closing(s) else { throw Self.problem("\(key)=( without its ')'", statement) }
                    guard let inner = Self.words(s[s.index(after: s.startIndex)..<close]) else { throw Self.problem("\(key)= with an unclosed quote", statement) }
                    names = inner.map(Self.nameLiteral)
                    s = s[s.index(after: close)...]
                } else {
                    // names up to the next `option=`
                    while let (word, after, unterminated) = Self.nextWord(s, stopAt: [")", "="]) {
                        guard !unterminated else { throw Self.problem("\(key)= with an unclosed quote", statement) }
                        guard after.drop(while: \.isWhitespace).first != "=" else { break }
                        names.append(Self.nameLiteral(word))
                        s = after
                    }
                }
                guard !names.isEmpty else { throw Self.problem("\(key)= without variable names", statement) }
                if key.lowercased() == "keep" { keep = (keep ?? []) + names } else { drop += names }
                continue
            }
            if key.lowercased() == "rename", s.first == "(" {
                guard let close = Self.closing(s) else { throw Self.problem("rename=( without its ')'", statement) }
                value = String(s[s.index(after: s.startIndex)..<close])
                s = s[s.index(after: close)...]
            } else if let (q, rest) = Self.quotedString(s) { value = q; s = rest } else {
                value = String(s.prefix { !$0.isWhitespace && $0 != ")" })
                s = s.dropFirst(value.count)
            }
            switch key.lowercased() {
            case "caslib": caslib = value
            case "replace": replace = try Self.yesNo(value, "replace", statement)
            case "promote": promote = try Self.yesNo(value, "promote", statement)
            case "in": inFlag = value
            case "rename":
                guard let pairs = Self.pairs(value) else { throw Self.problem("rename=(\(value)) (use old=new pairs)", statement) }
                rename += pairs
            default:
                throw ActionError(.parameterValue, "code: the data set option '\(key)' in \(Names.quote(statement)) is not supported: caslite reads caslib=, replace=, promote=, in=, keep=, drop= and rename=.",
                                  parameter: "code")
            }
        }
    }

    /// The first blank-separated word of `text` and what follows it: a quoted string is one word, and so is a name
    /// literal (`"my var"n`); nil when `text` is blank, or a quote is not closed (`unterminated`).
    static func nextWord(_ text: Substring, stopAt stops: Set<Character> = []) -> (word: String, rest: Substring, unterminated: Bool)? {
        let rest = text.drop { $0.isWhitespace }
        guard let c = rest.first, !stops.contains(c) else { return nil }
        if c == "'" || c == "\"" {
            guard var (_, after) = quotedString(rest) else { return ("", rest, true) }
            if let n = after.first, n == "n" || n == "N", after.dropFirst().first.map({ $0.isWhitespace || $0 == "=" || stops.contains($0) }) ?? true {
                after = after.dropFirst()
            }
            return (String(rest[..<after.startIndex]), after, false)
        }
        let w = rest.prefix { !$0.isWhitespace && !stops.contains($0) }
        return (String(w), rest.dropFirst(w.count), false)
    }

    /// The blank-separated words of `text` (`nextWord`); nil when a quote is not closed.
    static func words(_ text: Substring) -> [String]? {
        var out: [String] = [], rest = text
        while let (word, after, unterminated) = nextWord(rest) {
            guard !unterminated else { return nil }
            out.append(word)
            rest = after
        }
        return out
    }

    /// Name pairs `old=new …` (blanks around `=` allowed; names may be name literals); nil when `text` is not that.
    static func pairs(_ text: String) -> [(from: String, to: String)]? {
        // `=` as a word of its own, outside quotes, so `a=b`, `a = b` and `"a b"n=c` read alike
        var spaced = "", quote: Character?
        for ch in text {
            if let q = quote { if ch == q { quote = nil } } else if ch == "'" || ch == "\"" { quote = ch }
            spaced += quote == nil && ch == "=" ? " = " : String(ch)
        }
        guard let w = words(Substring(spaced)), w.count % 3 == 0, stride(from: 1, to: w.count, by: 3).allSatisfy({ w[$0] == "=" }) else { return nil }
        return stride(from: 0, to: w.count, by: 3).map { (nameLiteral(w[$0]), nameLiteral(w[$0 + 2])) }
    }

    /// `"a b"n` → `a b`; a plain name as it is.
    static func nameLiteral(_ s: String) -> String { Names.unliteral(s) }

    static func yesNo(_ v: String, _ key: String, _ statement: String) throws(ActionError) -> Bool {
        switch v.lowercased() {
        case "yes", "y", "true", "1": return true
        case "no", "n", "false", "0": return false
        default: throw problem("\(key)=\(v) (use yes or no)", statement)
        }
    }

    /// A string in `'…'` or `"…"` with doubled quotes inside, and what follows it.
    static func quotedString(_ s: Substring) -> (String, Substring)? {
        guard let q = s.first, q == "\"" || q == "'" else { return nil }
        var out = "", i = s.index(after: s.startIndex)
        while i < s.endIndex {
            if s[i] == q {
                let next = s.index(after: i)
                if next < s.endIndex, s[next] == q { out.append(q); i = s.index(after: next); continue }
                return (out, s[next...])
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return nil
    }

    /// The index of the `)` closing the `(` at the start of `s` (quotes skipped, inner parentheses paired).
    static func closing(_ s: Substring) -> Substring.Index? {
        firstOutsideQuotes(s, from: s.index(after: s.startIndex)) { i, depth in s[i] == ")" && depth == 0 }
    }

    /// The first index from `start` that `accept` takes, given the parenthesis depth before it; quoted text
    /// (`'…'`, `"…"`) is skipped. The DATA step parser's one scanner.
    static func firstOutsideQuotes(_ s: Substring, from start: Substring.Index, _ accept: (Substring.Index, Int) -> Bool) -> Substring.Index? {
        var quote: Character?, depth = 0, i = start
        while i < s.endIndex {
            let ch = s[i]
            if let q = quote {
                if ch == q { quote = nil }
            } else if ch == "'" || ch == "\"" {
                quote = ch
            } else {
                if accept(i, depth) { return i }
                if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
            }
            i = s.index(after: i)
        }
        return nil
    }

    static func problem(_ what: String, _ statement: String) -> ActionError {
        ActionError(.parameterValue, "code: \(what) in \(Names.quote(statement)).", parameter: "code")
    }
}
