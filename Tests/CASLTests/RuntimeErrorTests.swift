import CASL
import CASWire
import Testing

@Suite("Runtime errors carry positions")
struct RuntimeErrorTests {
    @Test(arguments: [
        ("x = 1;\ny = z + 1;", 2, 5, "unknown variable 'z'"),
        ("total = 1; x = totl;", 1, 16, "did you mean 'total'?"),
        ("l = {1, 2};\nx = l[3];", 2, 6, "index 3 is out of range: the list has 2 elements"),
        ("l = {1, 2}; x = l[1.5];", 1, 18, "must be a whole number"),
        ("d = {a=1}; x = d.b;", 1, 17, "the dictionary has no key 'b'"),
        ("d = {total=1, n=2}; x = d.totl;", 1, 26, "no key 'totl'; did you mean 'total'?"),
        ("x = 'a' + 1;", 1, 9, "cannot apply '+' to a string and an integer; use || to join strings"),
        ("x = 1 / 0;", 1, 7, "division by zero"),
        ("x = {1} || 'a';", 1, 9, "cannot apply '||' to a list"),
        ("if 'yes' then x = 1;", 1, 4, "a condition must be a boolean or a number"),
        ("x = 5; y = x.a;", 1, 13, "'.a' needs a dictionary or a table"),
        ("x = 5; y = x[1];", 1, 13, "cannot index an integer"),
        ("x = nosuch(1);", 1, 5, "unknown function 'nosuch'"),
        ("function f(a); return a; end; x = f(1, 2);", 1, 35, "function f takes 1 argument, got 2"),
        ("function dim(a); return a; end;", 1, 1, "built-in function"),
        ("do x over 5; end;", 1, 11, "'do … over' needs a list"),
        ("do i = 1 to 'a'; end;", 1, 13, "loop bounds must be numbers"),
        ("do i = 1 to 5 by 0; end;", 1, 18, "must not be 0"),
        ("x = 5; x.a = 1;", 1, 9, "cannot set 'a' in an integer"),
        ("l = {1}; l[3] = 1;", 1, 11, "index 3 is out of range"),
        ("send_response(1);", 1, 1, "send_response needs one dictionary"),
        ("stub.table result=r; x = r.T[4];", 1, 29, "index 4 is out of range: the table's row has 3 elements"),
        ("stub.table result=r; x = r.T[1, 'nope'];", 1, 29, "table T has no column 'nope'"),
        ("loadactionset 5;", 1, 1, "loadactionset needs a string"),
        ("x = substr('abc', 9);", 1, 5, "out of range"),
    ])
    func runtimeErrors(_ code: String, _ line: Int, _ column: Int, _ fragment: String) async {
        await fails(code, .runtime, line: line, column: column, fragment)
    }

    @Test func endlessLoopsHitTheStepBudget() async {
        await fails("i = 0;\ndo while (1); i = i + 1; end;", .limit, line: 2, column: 11, "more than 1000 steps", steps: 1000)
        await fails("do i = 1 to 1e300; end;", .limit, line: 1, column: 1, "steps", steps: 1000)
    }

    @Test func endlessRecursionHitsTheDepthLimit() async {
        await fails("function f(n); return f(n + 1); end;\nx = f(1);", .limit, line: 1, column: 23, "nested more than 50 calls deep")
    }

    @Test func valuesCannotGrowWithoutBound() async {
        await fails("x = {};\ndo i = 1 to 100; x = {x}; end;", .limit, line: 2, column: 22, "may nest 64 levels")
        await fails("x = {1, 2};\ndo i = 1 to 100; x = {x, x}; end;", .limit, line: 2, column: 22, "elements")
        await fails("s = 'ab';\ndo i = 1 to 40; s = s || s; end;", .limit, line: 2, column: 23, "string longer than")
    }

    @Test func cancellationStopsALoop() async throws {
        let host = StubHost()
        host.cancelled.store(true, ordering: .relaxed)
        await #expect {
            try await Interpreter(host: host).run(try Parser.parse("do while (1); end;"))
        } throws: { e in (e as? CASLError)?.kind == .cancelled }
    }
}
