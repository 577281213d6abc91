import CASL
import CASWire
import SeededRandom
import Testing

/// Random and mutated scripts, run against the stub host with a small step budget.
enum ScriptFuzzer {
    static let words = ["x", "y", "l", "d", "r", "s", "t", "i", "k", "v", "f", "g", "n", "if", "then", "else", "do", "end", "to", "by",
                        "over", "while", "until", "function", "return", "exit", "print", "describe", "saveresult", "casout", "replace",
                        "loadactionset", "action", "source", "endsource", "and", "or", "not", "eq", "contains", "true", "false",
                        "send_response", "dim", "substr", "stub", "table", "fail", "result", "status", "echo", "T", "nrows", "name"]
    static let puncts = [";", ";", ";", ",", ".", "/", "(", ")", "{", "}", "[", "]", "=", "=", "==", "^=", "<", "<=", ">", "+", "-", "*",
                         "**", "||", "&", "'a'", "\"b\"", "''", "0", "1", "2", "3", "1.5", "-1", "1e3", "/* c */", "'", "\"", "/*", "*/", "\n"]

    /// A script of random tokens.
    static func soup(_ g: inout SplitMix64) -> String {
        var out = ""
        for _ in 0..<Int.random(in: 1...40, using: &g) {
            out += Bool.random(using: &g) ? words.randomElement(using: &g)! : puncts.randomElement(using: &g)!
            out += Int.random(in: 0..<4, using: &g) == 0 ? "" : " "
        }
        return out
    }

    /// A script built from the grammar (mostly valid), exercising every construct.
    static func grammar(_ g: inout SplitMix64, depth: Int = 0) -> String {
        var out = Bool.random(using: &g) ? prelude : ""
        for _ in 0..<Int.random(in: 1...6, using: &g) { out += statement(&g, depth) + "\n" }
        return out
    }

    /// Defines the variables and function the generated statements use, so that many scripts run through.
    static let prelude = "x = 1; y = 2.5; l = {1, 2}; d = {p=1, q=2}; s = 'a'; i = 1; stub.table result=r;\n"
        + "function f(a, b); return a; end;\n"

    static func statement(_ g: inout SplitMix64, _ depth: Int) -> String {
        let v = ["x", "y", "l", "d", "s"].randomElement(using: &g)!
        let deeper = depth < 3
        switch Int.random(in: 0..<15, using: &g) {
        case 0: return "\(v) = \(expr(&g, 0));"
        case 1: return "print \(expr(&g, 0)) \(expr(&g, 0));"
        case 2: return "describe \(expr(&g, 0));"
        case 3 where deeper: return "if \(expr(&g, 0)) then \(statement(&g, depth + 1)) else \(statement(&g, depth + 1))"
        case 4 where deeper: return "do i = \(expr(&g, 1)) to \(expr(&g, 1)); \(statement(&g, depth + 1)) end;"
        case 5 where deeper: return "do k, v over \(expr(&g, 0)); \(statement(&g, depth + 1)) end;"
        case 6 where deeper: return "do while (\(expr(&g, 0))); \(statement(&g, depth + 1)) end;"
        case 7 where deeper: return "function f(a, b); \(statement(&g, depth + 1)) return \(expr(&g, 0)); end;"
        case 8: return "stub.table result=r status=st / a=\(expr(&g, 0)) b={x=1, y=\(expr(&g, 1))};"
        case 9: return "builtins.echo result=r / p=\(expr(&g, 0));"
        case 10: return "saveresult r.T casout=\"c\" replace;"
        case 11: return "send_response({a=\(expr(&g, 0))});"
        case 12: return "\(v).\(["a", "b"].randomElement(using: &g)!) = \(expr(&g, 0)); \(v)[1] = \(expr(&g, 1));"
        case 13: return "stub.fail status=st;"
        default:
            switch Int.random(in: 0..<4, using: &g) {
            case 0: return "exit;"
            case 1: return "do while (\(expr(&g, 2)) or 1); end;"
            case 2: return "function g(n); return g(n + 1); end; x = g(1);"
            default: return "x = f(\(expr(&g, 1)), \(expr(&g, 1)));"
            }
        }
    }

    static func expr(_ g: inout SplitMix64, _ depth: Int) -> String {
        if depth > 3 || Int.random(in: 0..<3, using: &g) == 0 {
            return ["1", "2.5", "-3", "0", "'s'", "\"t\"", "true", "x", "y", "l", "d", "r", "r.T", "r.T[1]", "r.T[2, 'x']", "i", "{}", "s", "(-9223372036854775807 - 1)", "9223372036854775807", "1e308", "-0.0"].randomElement(using: &g)!
        }
        let a = expr(&g, depth + 1), b = expr(&g, depth + 1)
        switch Int.random(in: 0..<10, using: &g) {
        case 0: return "\(a) \(["+", "-", "*", "/", "**", "||"].randomElement(using: &g)!) \(b)"
        case 1: return "(\(a) \(["=", "<", ">=", "^=", "and", "or", "contains"].randomElement(using: &g)!) \(b))"
        case 2: return "{\(a), \(b)}"
        case 3: return "{p=\(a), q=\(b)}"
        case 4: return "\(a)[\(b)]"
        case 5: return "\(a).p"
        case 6: return "not \(a)"
        case 7: return "\(["dim", "typeof", "upcase", "f", "max", "tostring", "abs", "round", "tonumber", "keys", "sum", "strip"].randomElement(using: &g)!)(\(a))"
        case 8: return Bool.random(using: &g) ? "-\(a)" : "\(["mod", "substr", "find", "exists", "min"].randomElement(using: &g)!)(\(a), \(b))"
        default: return "f(\(a), \(b))"
        }
    }

    /// A corpus script with random characters deleted, duplicated, inserted or swapped.
    static func mutate(_ s: String, _ g: inout SplitMix64) -> String {
        var c = Array(s)
        for _ in 0..<Int.random(in: 1...4, using: &g) where !c.isEmpty {
            let i = Int.random(in: 0..<c.count, using: &g)
            switch Int.random(in: 0..<4, using: &g) {
            case 0: c.remove(at: i)
            case 1: c.insert(c[i], at: i)
            case 2: c.insert(Array(";{}[]()'\"=/*.,1x ")[Int.random(in: 0..<17, using: &g)], at: i)
            default: let j = Int.random(in: 0..<c.count, using: &g); c.swapAt(i, j)
            }
        }
        return String(c)
    }

    static let corpus = [
        "x = 1 + 2 * 3; print 'x=' x;",
        "l = {1, 2, 'a'}; d = {name='x', n=3}; d.m = l; print d.m[3] d['name'];",
        "function fact(n); if n <= 1 then return 1; return n * fact(n - 1); end; print fact(5);",
        "stub.table result=r; do row over r.T; print row.name; end; print r.T[1, 'x'] r.T.nrows;",
        "do i = 1 to 5 by 2; s = 0; do k, v over {a=1, b=2}; s = s + v; end; end;",
        "i = 0; do while (i < 3); i = i + 1; if i = 2 then do; print 'two'; end; else print i; end;",
        "table.fetch result=r status=s / table={name='t', where='x > 1'} to=5; if s.severity = 0 then print r;",
        "source code; print 'hi'; endsource; send_response({code=code});",
        "stub.table result=r; saveresult r.T casout='c' replace; describe r;",
    ]
}

@Suite("Fuzz: random and mutated scripts")
struct FuzzTests {
    /// Checks one script: it parses and runs, or fails with a CASLError whose position is inside the script.
    static func check(_ src: String) async -> Bool { await outcome(src) != nil }

    /// How a script ended: nil when it failed without a proper error, "ok", or the error kind.
    static func outcome(_ src: String) async -> String? {
        let program: Program
        do { program = try Parser.parse(src) } catch { return valid(error, in: src) ? "syntax" : nil }
        do {
            try await Interpreter(host: StubHost(), limits: .small(steps: 300)).run(program)
            return "ok"
        } catch {
            return valid(error, in: src) && error.kind != .cancelled && error.kind != .exit ? error.kind.rawValue : nil
        }
    }

    /// An error is acceptable when it has a message and points inside the script (or just past a line's end).
    static func valid(_ e: CASLError, in src: String) -> Bool {
        let lines = src.split(separator: "\n", omittingEmptySubsequences: false)
        guard !e.message.isEmpty, e.pos.line >= 1, e.pos.line <= lines.count, e.pos.column >= 1 else { return false }
        return e.pos.column <= lines[e.pos.line - 1].unicodeScalars.count + 1
    }

    @Test func hundredThousandScriptsNeverCrashHangOrFailWithoutAPosition() async {
        var g = SplitMix64(seed: 0xCA51)
        var outcomes: [String: Int] = [:], bad: [String] = []
        for n in 0..<100_000 {
            let src: String
            switch n % 3 {
            case 0: src = ScriptFuzzer.soup(&g)
            case 1: src = ScriptFuzzer.grammar(&g)
            default: src = ScriptFuzzer.mutate(ScriptFuzzer.corpus.randomElement(using: &g)!, &g)
            }
            if let o = await Self.outcome(src) { outcomes[o, default: 0] += 1 } else { bad.append(src) }
            if bad.count >= 5 { break }
        }
        #expect(bad.isEmpty, "scripts failing without a proper error:\n\(bad.joined(separator: "\n---\n"))")
        // The mix must reach every ending often: clean runs, runtime errors, and the step budget.
        #expect(outcomes["ok", default: 0] > 4_000 && outcomes["runtime", default: 0] > 10_000, "\(outcomes)")
        #expect(outcomes["limit", default: 0] > 500 && outcomes["syntax", default: 0] > 10_000, "\(outcomes)")
    }

    @Test func theCheckerRefusesErrorsOutsideTheScript() async {
        #expect(Self.valid(CASLError(.syntax, "x", at: SourcePos(line: 2, column: 3)), in: "a;\nbc"))
        #expect(!Self.valid(CASLError(.syntax, "x", at: SourcePos(line: 3, column: 1)), in: "a;\nbc"))
        #expect(!Self.valid(CASLError(.syntax, "x", at: SourcePos(line: 1, column: 9)), in: "a;\nbc"))
        #expect(!Self.valid(CASLError(.runtime, "", at: SourcePos(line: 1, column: 1)), in: "a;"))
        #expect(await Self.check("x = ;"))
        #expect(await Self.check("x = y;"))
        #expect(await Self.check("do while (1); end;"))
    }
}
