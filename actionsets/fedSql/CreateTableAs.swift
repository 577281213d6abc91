import CASStorage

/// Splits `CREATE TABLE name AS <query>` into its target and its query; any other statement is
/// left whole (nil target). Only this prefix is read here — the query itself is SQLite's to parse.
/// The name is `table` or `caslib.table`, each part bare or in double quotes (`"CASUSER(alice)".t`).
struct CreateTableAs {
    var target: SQLTableName?
    var query: String

    init(_ sql: String) {
        var s = Substring(sql)
        guard Self.word(&s, "create"), Self.word(&s, "table"), let first = Self.identifier(&s) else {
            (target, query) = (nil, sql)
            return
        }
        var name = SQLTableName(schema: nil, name: first)
        var rest = s
        Self.skipSpace(&rest)
        if rest.first == "." {
            rest.removeFirst()
            guard let second = Self.identifier(&rest) else { (target, query) = (nil, sql); return }
            name = SQLTableName(schema: first, name: second)
        }
        guard Self.word(&rest, "as") else { (target, query) = (nil, sql); return }
        (target, query) = (name, String(rest))
    }

    static func skipSpace(_ s: inout Substring) {
        while true {
            while let c = s.first, c.isWhitespace { s.removeFirst() }
            if s.hasPrefix("--") {
                s = s.drop { $0 != "\n" }
            } else if s.hasPrefix("/*") {
                guard let end = s.range(of: "*/") else { s = s.suffix(0); return }
                s = s[end.upperBound...]
            } else {
                return
            }
        }
    }

    /// Consumes the keyword `w` (any case) when it comes next.
    static func word(_ s: inout Substring, _ w: String) -> Bool {
        var t = s
        guard let id = identifier(&t, quoted: false), id.lowercased() == w else { return false }
        s = t
        return true
    }

    /// A bare identifier, or a double-quoted one (`""` inside is one quote).
    static func identifier(_ s: inout Substring, quoted: Bool = true) -> String? {
        skipSpace(&s)
        if quoted, s.first == "\"" {
            var out = ""
            var i = s.index(after: s.startIndex)
            while i < s.endIndex {
                if s[i] == "\"" {
                    let next = s.index(after: i)
                    if next < s.endIndex, s[next] == "\"" { out.append("\""); i = s.index(after: next); continue }
                    s = s[next...]
                    return out.isEmpty ? nil : out
                }
                out.append(s[i])
                i = s.index(after: i)
            }
            return nil
        }
        let id = s.prefix { $0 == "_" || $0.isLetter || $0.isNumber }
        guard let f = id.first, !f.isNumber else { return nil }
        s = s.dropFirst(id.count)
        return String(id)
    }
}
