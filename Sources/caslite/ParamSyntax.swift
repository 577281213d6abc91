import CASWire

/// Parses the CLI's parameter syntax: `key=value` words, nested keys with dots (`casOut.name=x`),
/// values read as JSON when they parse (numbers, true/false, lists, objects), otherwise as strings.
enum ParamSyntax {
    typealias Failure = CommandLineError

    static func parse(_ words: [String]) throws -> ValueDict {
        var root = ValueDict()
        for w in words {
            guard let eq = w.firstIndex(of: "="), eq != w.startIndex else {
                throw Failure(description: "expected key=value, got '\(w)'")
            }
            let path = w[..<eq].split(separator: ".").map(String.init)
            let key = String(w[..<eq]), text = String(w[w.index(after: eq)...])
            let value = try structured(key: key, text) ?? scalar(text)
            try set(&root, path[...], value, whole: w)
        }
        return root
    }

    /// A value that starts with `{` or `[` must be JSON: a typo there is an error pointing at the place, never a string.
    static func structured(key: String, _ text: String) throws -> Value? {
        guard let first = text.first, first == "{" || first == "[" else { return nil }
        do {
            return try JSONParser.parse(text)
        } catch let e {
            let column = key.count + 1 + String(decoding: Array(text.utf8.prefix(e.offset)), as: UTF8.self).count
            throw Failure(description: """
                the value of '\(key)' starts with '\(first)' but is not valid JSON: \(e.message) (character \(column - key.count))
                  \(key)=\(text)
                  \(String(repeating: " ", count: column))^
                Check the brackets and quotes, or quote the whole word in the shell ('\(key)={"name":"t"}').
                """)
        }
    }

    static func scalar(_ s: String) -> Value {
        if let v = try? JSONParser.parse(s) {
            if case .string = v { return v }
            return v
        }
        switch s.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: return .string(s)
        }
    }

    static func set(_ d: inout ValueDict, _ path: ArraySlice<String>, _ v: Value, whole: String) throws {
        guard let head = path.first else { return }
        if path.count == 1 { d[head] = v; return }
        var inner: ValueDict
        switch d[head] {
        case nil: inner = ValueDict()
        case .dict(let x)?: inner = x
        default: throw Failure(description: "'\(whole)': '\(head)' already has a non-dictionary value")
        }
        try set(&inner, path.dropFirst(), v, whole: whole)
        d[head] = .dict(inner)
    }

    /// Splits a shell line into words, honouring single and double quotes; inside `{…}` and `[…]`
    /// (JSON values) spaces do not split and quotes are kept.
    static func words(_ line: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quote: Character?
        var inWord = false
        var depth = 0
        for ch in line {
            if let q = quote {
                if ch == q { quote = nil; if depth > 0 { cur.append(ch) } } else { cur.append(ch) }
                continue
            }
            switch ch {
            case "\"", "'":
                quote = ch
                inWord = true
                if depth > 0 { cur.append(ch) }
            case "{", "[":
                depth += 1
                cur.append(ch)
                inWord = true
            case "}", "]":
                depth = max(0, depth - 1)
                cur.append(ch)
            case " ", "\t":
                if depth > 0 {
                    cur.append(ch)
                } else if inWord {
                    out.append(cur)
                    cur = ""
                    inWord = false
                }
            default:
                cur.append(ch)
                inWord = true
            }
        }
        if inWord { out.append(cur) }
        return out
    }
}
