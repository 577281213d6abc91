import CASCore

/// A table named in a DATA or SET statement: `name`, `"name"`, `"name"n`, `caslib.name`, followed by
/// data set options in parentheses (`caslib=`, `replace=`, `promote=`; others are refused).
struct DataSetName: Sendable, Equatable {
    var name: String
    var caslib: String?
    var replace: Bool?
    var promote: Bool?

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
            if let (q, rest) = Self.quotedString(s) { value = q; s = rest } else {
                value = String(s.prefix { !$0.isWhitespace && $0 != ")" })
                s = s.dropFirst(value.count)
            }
            switch key.lowercased() {
            case "caslib": caslib = value
            case "replace": replace = try Self.yesNo(value, "replace", statement)
            case "promote": promote = try Self.yesNo(value, "promote", statement)
            default:
                throw ActionError(.parameterValue, "code: the data set option '\(key)' in \(Names.quote(statement)) is not supported: caslite reads caslib=, replace= and promote=.",
                                  parameter: "code")
            }
        }
    }

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

    /// The index of the `)` closing the `(` at the start of `s` (quotes skipped).
    static func closing(_ s: Substring) -> Substring.Index? {
        var quote: Character?
        for i in s.indices.dropFirst() {
            let ch = s[i]
            if let q = quote { if ch == q { quote = nil } } else if ch == "\"" || ch == "'" { quote = ch } else if ch == ")" { return i }
        }
        return nil
    }

    static func problem(_ what: String, _ statement: String) -> ActionError {
        ActionError(.parameterValue, "code: \(what) in \(Names.quote(statement)).", parameter: "code")
    }
}
