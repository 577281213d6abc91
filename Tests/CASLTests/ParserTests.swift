import CASL
import Testing

@Suite("Parser")
struct ParserTests {
    func p(_ src: String) throws -> String { try ASTDump.program(src) }

    @Test(arguments: [
        ("x = 1 + 2 * 3;", "(set x (+ 1 (* 2 3)))"),
        ("x = (1 + 2) * 3;", "(set x (* (+ 1 2) 3))"),
        ("x = -2 ** 2;", "(set x (- (** 2 2)))"),
        ("x = 2 ** 3 ** 2;", "(set x (** 2 (** 3 2)))"),
        ("x = a || b || 'c';", "(set x (|| (|| a b) 'c'))"),
        ("x = a < b and not c or d;", "(set x (or (and (< a b) (not c)) d))"),
        ("x = a eq 1 and b ne 2 and c ge 3;", "(set x (and (and (= a 1) (^= b 2)) (>= c 3)))"),
        ("x = a ~= b or a != b;", "(set x (or (^= a b) (^= a b)))"),
        ("x = s contains 'ab';", "(set x (contains s 'ab'))"),
        ("x = {1, 2 'a'};", "(set x {1 2 'a'})"),
        ("x = {};", "(set x {})"),
        ("x = {name='a', n=3 deep={k={1}}};", "(set x {name='a' n=3 deep={k={1}}})"),
        ("x = {'two words'=1};", "(set x {two words=1})"),
        ("x = r.Fetch[1].col;", "(set x r.Fetch[1].col)"),
        ("x = t[2, 'c'] + t[, 3][1];", "(set x (+ t[2,'c'] t[_,3][1]))"),
        ("x = r['Fetch'];", "(set x r['Fetch'])"),
        ("x = f(1, g(2), {3});", "(set x f(1 g(2) {3}))"),
        ("r.a.b = 1;", "(set r.a.b 1)"),
        ("l[2] = 5;", "(set l[2] 5)"),
    ])
    func expressionsAndAssignments(_ src: String, _ expected: String) throws {
        #expect(try p(src) == expected)
    }

    @Test(arguments: [
        ("table.fetch / table='t' to=5;", "(action table.fetch table='t' to=5)"),
        ("action table.fetch result=r status=s / table={name='t', where='x = 1'}, from=2;",
         "(action table.fetch result=r status=s table={name='t' where='x = 1'} from=2)"),
        ("builtins.serverStatus;", "(action builtins.serverStatus)"),
        ("builtins.ping result=r;", "(action builtins.ping result=r)"),
        ("fetch / table='t';", "(action fetch table='t')"),
        ("table.fetch / to=n + 1 from=1;", "(action table.fetch to=(+ n 1) from=1)"),
        ("loadactionset 'simple';", "(loadactionset 'simple')"),
        ("loadactionset / actionSet='simple';", "(loadactionset 'simple')"),
        ("saveresult r.Fetch casout='x' replace;", "(saveresult r.Fetch casout='x' replace)"),
        ("saveresult r casout={name='x', caslib='public'};", "(saveresult r casout={name='x' caslib='public'})"),
        ("send_response({a=1});", "(call send_response({a=1}))"),
        ("proc cas; run; quit;", "(noop) (noop) (noop)"),
        ("source s;\nx y z\nendsource;", "(source s 7)"),
        ("print 'a' x, y;", "(print 'a' x y)"),
        ("describe r.Fetch;", "(describe r.Fetch)"),
        ("exit;", "(exit)"),
    ])
    func statements(_ src: String, _ expected: String) throws {
        #expect(try p(src) == expected)
    }

    @Test(arguments: [
        ("if x = 1 then y = 2; else y = 3;", "(if (= x 1) (set y 2) else (set y 3))"),
        ("if x then do; y = 1; z = 2; end; else if w then y = 4;", "(if x (do (set y 1) (set z 2)) else (if w (set y 4)))"),
        ("do i = 1 to 10 by 2; print i; end;", "(for i 1 10 by 2 (print i))"),
        ("do x over l; print x; end;", "(over x l (print x))"),
        ("do k, v over d; print k v; end;", "(over k,v d (print k v))"),
        ("do while (i < 3); i = i + 1; end;", "(while (< i 3) (set i (+ i 1)))"),
        ("do until (i >= 3); i = i + 1; end;", "(until (>= i 3) (set i (+ i 1)))"),
        ("function f(a, b); return a + b; end;", "(function f(a b) (return (+ a b)))"),
        ("function f(); return; end func;", "(function f() (return))"),
    ])
    func blocks(_ src: String, _ expected: String) throws {
        #expect(try p(src) == expected)
    }

    @Test(arguments: [
        ("x = ;", 1, 5, "expected an expression, found ';'"),
        ("x = 1\ny = 2;", 2, 1, "expected ';' after the assigned value, found 'y'"),
        ("print 'a'", 1, 10, "expected ';' at the end of the print statement"),
        ("if x then y = 1;\nelse;\nend;", 3, 1, "unexpected 'end'"),
        ("do i = 1 10; end;", 1, 10, "expected 'to'"),
        ("do;\n  x = 1;\n", 3, 1, "expected 'end;' to close the 'do' opened before line 2, column 3"),
        ("function f(a b); end;", 1, 14, "expected ',' between parameters"),
        ("table.fetch / table='t' to;", 1, 27, "expected '=' after the parameter name 'to'"),
        ("x = {1, 2;", 1, 10, "expected an expression"),
        ("x = t[1;", 1, 8, "expected ',' or ']'"),
        ("1 + 2;", 1, 1, "expected a statement"),
        ("f(1) + 2;", 1, 9, "expected '=' or an action call"),
        ("(x) = 1;", 1, 1, "expected a statement"),
        ("x + 1 = 2;", 1, 1, "the left side of '=' must be a variable"),
        ("x = a and;", 1, 10, "expected an expression"),
        ("else x = 1;", 1, 1, "unexpected 'else'"),
        ("loadactionset / name='x';", 1, 1, "expected actionSet="),
    ])
    func errorsSayWhereAndWhatWasExpected(_ src: String, _ line: Int, _ column: Int, _ fragment: String) {
        #expect {
            try Parser.parse(src)
        } throws: { e in
            guard let e = e as? CASLError else { return false }
            let ok = e.kind == .syntax && e.pos == SourcePos(line: line, column: column) && e.message.contains(fragment)
            if !ok { Issue.record("got \(e)") }
            return ok
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = "x = " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + ";"
        #expect(throws: CASLError.self) { try Parser.parse(deep) }
        let blocks = String(repeating: "do; ", count: 1000) + String(repeating: "end; ", count: 1000)
        #expect(throws: CASLError.self) { try Parser.parse(blocks) }
        let minus = "x = " + String(repeating: "-", count: 5000) + "1;"
        #expect(throws: CASLError.self) { try Parser.parse(minus) }
    }
}
