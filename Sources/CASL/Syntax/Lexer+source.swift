extension Lexer {
    /// True right after `source NAME ;` at the start of a statement.
    var isSourceHeader: Bool {
        let n = tokens.count
        guard n >= 3, tokens[n - 1].isPunct(";"), case .ident = tokens[n - 2].kind, tokens[n - 3].isWord("source") else { return false }
        return n == 3 || tokens[n - 4].isPunct(";")
    }

    /// Reads verbatim text up to `endsource;` and emits it as a `rawSource` token followed by `;`.
    mutating func readSourceBody() throws(CASLError) {
        let start = here
        var body = String.UnicodeScalarView()
        while i < chars.count {
            if atEndSource {
                tokens.append(Token(.rawSource(String(body)), start))
                for _ in 0..<9 { advance() }
                while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" { advance() }
                guard peek() == ";" else { throw .syntax("expected ';' after 'endsource'", at: here) }
                tokens.append(Token(.punct(";"), here))
                advance()
                return
            }
            body.append(chars[i])
            advance()
        }
        throw .syntax("unterminated source block: 'source' has no matching 'endsource;'", at: start)
    }

    /// `endsource` as a whole word (case-insensitive) at the current position.
    var atEndSource: Bool {
        let word = Array("endsource".unicodeScalars)
        guard i + word.count <= chars.count else { return false }
        for (k, w) in word.enumerated() where chars[i + k].properties.lowercaseMapping != String(w) { return false }
        if i > 0, Self.isIdentStart(chars[i - 1]) || Self.isDigit(chars[i - 1]) { return false }
        if let after = peek(word.count), Self.isIdentStart(after) || Self.isDigit(after) { return false }
        return true
    }
}
