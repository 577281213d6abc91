/// One lexical token of a CASL script.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A name or a keyword; keywords are recognised by the parser, case-insensitively.
        case ident(String)
        case int(Int64)
        case double(Double)
        case string(String)
        /// Punctuation and operators: `; , . / ( ) { } [ ] = == ^= != < <= > >= + - * ** || ^ ~ & :`.
        case punct(String)
        /// The text between `source name;` and `endsource;`.
        case rawSource(String)
        case eof
    }

    public var kind: Kind
    public var pos: SourcePos

    public init(_ kind: Kind, _ pos: SourcePos) {
        self.kind = kind
        self.pos = pos
    }

    /// The identifier text, lower-cased, when this is an identifier.
    public var word: String? { if case .ident(let s) = kind { s.lowercased() } else { nil } }

    public func isPunct(_ p: String) -> Bool { if case .punct(let q) = kind { q == p } else { false } }
    public func isWord(_ w: String) -> Bool { word == w }

    /// How the token reads in an error message.
    public var display: String {
        switch kind {
        case .ident(let s): "'\(s)'"
        case .int(let i): "the number \(i)"
        case .double(let d): "the number \(d)"
        case .string(let s): "the string \"\(s.count > 20 ? String(s.prefix(20)) + "…" : s)\""
        case .punct(let p): "'\(p)'"
        case .rawSource: "a source block"
        case .eof: "the end of the script"
        }
    }
}
