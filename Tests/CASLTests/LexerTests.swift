@testable import CASL
import Testing

@Suite("Lexer")
struct LexerTests {
    func kinds(_ s: String) throws -> [Token.Kind] { try Lexer.tokenize(s).map(\.kind) }

    @Test func numbersStringsNamesAndOperators() throws {
        #expect(try kinds("x1 = 12 + 1.5e2 * .5;") == [.ident("x1"), .punct("="), .int(12), .punct("+"), .double(150), .punct("*"), .double(0.5), .punct(";"), .eof])
        #expect(try kinds("'it''s' \"a \"\"b\"\"\"") == [.string("it's"), .string("a \"b\""), .eof])
        #expect(try kinds("a ** b || c ^= d <= e >= f == g") == [
            .ident("a"), .punct("**"), .ident("b"), .punct("||"), .ident("c"), .punct("^="), .ident("d"), .punct("<="), .ident("e"),
            .punct(">="), .ident("f"), .punct("=="), .ident("g"), .eof,
        ])
        #expect(try kinds("99999999999999999999") == [.double(1e20), .eof])
    }

    @Test func memberAccessAfterAValueIsNotANumber() throws {
        #expect(try kinds("t[1].x") == [.ident("t"), .punct("["), .int(1), .punct("]"), .punct("."), .ident("x"), .eof])
        #expect(try kinds("r.Fetch") == [.ident("r"), .punct("."), .ident("Fetch"), .eof])
    }

    @Test func commentsAndCommentStatements() throws {
        #expect(try kinds("/* a\n b */ x; * a comment statement; y;") == [.ident("x"), .punct(";"), .ident("y"), .punct(";"), .eof])
        #expect(try kinds("x = 2 * 3;") == [.ident("x"), .punct("="), .int(2), .punct("*"), .int(3), .punct(";"), .eof])
    }

    @Test func positionsCountLinesAndColumns() throws {
        let t = try Lexer.tokenize("a\n  bb = 'x'")
        #expect(t.map(\.pos) == [SourcePos(line: 1, column: 1), SourcePos(line: 2, column: 3), SourcePos(line: 2, column: 6),
                                 SourcePos(line: 2, column: 8), SourcePos(line: 2, column: 11)])
    }

    @Test func sourceBlocksKeepTheirText() throws {
        let t = try kinds("source body;\n  print 'hi'; /* kept */\nendsource;\nx;")
        #expect(t == [.ident("source"), .ident("body"), .punct(";"), .rawSource("\n  print 'hi'; /* kept */\n"), .punct(";"), .ident("x"), .punct(";"), .eof])
    }

    @Test(arguments: [
        ("'abc", 1, 1, "unterminated string"),
        ("x = 1;\n /* never closed", 2, 2, "unterminated comment"),
        ("x = 3 @ 4;", 1, 7, "unexpected character '@'"),
        ("x = 12abc;", 1, 5, "may not run into a name"),
        ("source s;\nprint 1;", 1, 10, "unterminated source block"),
    ])
    func errorsHavePositions(_ src: String, _ line: Int, _ column: Int, _ fragment: String) {
        #expect {
            try Lexer.tokenize(src)
        } throws: { e in
            guard let e = e as? CASLError else { return false }
            return e.kind == .syntax && e.pos == SourcePos(line: line, column: column) && e.message.contains(fragment)
        }
    }
}
