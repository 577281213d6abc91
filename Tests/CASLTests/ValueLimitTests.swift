import CASL
import CASWire
import Testing

/// Scripts are limited in steps and in bytes of live values; each limit is named in its error.
@Suite("CASL: steps and live-value bytes are limited")
struct ValueLimitTests {
    @Test("a string doubled 23 times into a 400-item list is refused, naming the limit")
    func doubledStringsIntoAList() async {
        let code = """
            l = {};
            do i = 1 to 400;
              s = "x";
              do j = 1 to 23; s = s || s; end;
              l[i] = s;
            end;
            """
        let host = StubHost()
        do {
            try await Interpreter(host: host).run(try Parser.parse(code))   // default limits
            Issue.record("the script ran to its end")
        } catch {
            #expect(error.kind == .limit)
            #expect(error.message.contains("CASL: a value would exceed \(InterpreterLimits().maxValueBytes) bytes"), "\(error.message)")
            #expect(error.pos.line == 5, "\(error)")
        }
    }

    @Test func dictionariesAndFunctionFramesCountToo() async {
        await fails("""
            d = {};
            do i = 1 to 100; d["k" || i] = "\(String(repeating: "y", count: 1000))" || "\(String(repeating: "z", count: 1000))"; end;
            """, .limit, line: 2, column: 18, "would exceed", steps: 1_000_000, limits: { $0.maxValueBytes = 100_000 })
        await fails("""
            function f(x); y = x || x; return y; end;
            s = "\(String(repeating: "a", count: 30_000))";
            t = f(s);
            """, .limit, line: 1, column: 16, "would exceed", limits: { $0.maxValueBytes = 100_000 })
    }

    @Test func replacedValuesAreReleased() async throws {
        // Overwriting the same variable and element again and again never accumulates.
        let code = """
            l = {"", ""};
            do i = 1 to 2000; s = "\(String(repeating: "q", count: 5000))" || i; l[1] = s; end;
            """
        let interp = Interpreter(host: StubHost(), limits: { var l = InterpreterLimits.small(steps: 100_000); l.maxValueBytes = 100_000; return l }())
        try await interp.run(try Parser.parse(code))
        #expect(interp.liveBytes < 20_000)
    }

    @Test func stepsAreLimited() async {
        await fails("do while (1); end;", .limit, line: 1, column: 11, "the script ran more than 1000 steps", steps: 1000)
    }
}
