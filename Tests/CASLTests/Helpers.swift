import CASL
import CASWire
import Synchronization
import Testing

/// A host whose actions return fixed results: the language tests need no server.
/// - `stub.fail` fails; `stub.table` returns a small table `T`; any other action echoes `{action, params}`.
final class StubHost: CASLHost {
    let outputLines = Mutex<[String]>([])
    let calls = Mutex<[(String, ValueDict)]>([])
    let saved = Mutex<[String: DataTable]>([:])
    let cancelled = Atomic<Bool>(false)

    static let table = DataTable.init(name: "T", label: "A stub table", columns: [
        Column(name: "name", data: .varchar(["a", "b", nil])),
        Column(name: "x", data: .double([1.5, 2, .nan])),
        Column(name: "n", data: .int64([1, nil, 3])),
    ])

    func callAction(_ name: String, _ params: ValueDict) async -> Response {
        calls.withLock { $0.append((name, params)) }
        switch name.lowercased() {
        case "stub.fail":
            return Response(disposition: Disposition(severity: .error, reason: "badInput", statusCode: 2_730_003, formattedStatus: "it failed"),
                            logs: [LogLine(.error, "stub.fail: it failed on purpose")])
        case "stub.table":
            return Response(results: ["T": .table(Self.table), "count": 3])
        default:
            return Response(results: ["action": .string(name), "params": .dict(params)])
        }
    }

    func output(_ line: String) { outputLines.withLock { $0.append(line) } }

    func saveTable(_ table: DataTable, name: String, caslib: String?, replace: Bool) async throws -> String {
        try saved.withLock { s in
            if s[name.lowercased()] != nil && !replace { throw StubError(message: "table \(name) exists; use replace") }
            s[name.lowercased()] = table
        }
        return caslib ?? "CASUSER(stub)"
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    var output: [String] { outputLines.withLock { $0 } }
}

struct StubError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The outcome of running a script against a stub host.
struct Run {
    var output: [String]
    var sent: ValueDict
    var interpreter: Interpreter
    var host: StubHost

    /// A global variable after the run.
    subscript(_ name: String) -> Value? { interpreter.value(of: name) }
}

/// Runs `code` against a fresh stub host; fails the test on any error.
@discardableResult
func run(_ code: String, steps: Int = 100_000, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Run {
    let host = StubHost()
    let interp = Interpreter(host: host, limits: .small(steps: steps))
    do {
        let sent = try await interp.run(try Parser.parse(code))
        return Run(output: host.output, sent: sent, interpreter: interp, host: host)
    } catch {
        Issue.record("script failed: \(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// Runs `code` and requires an error of `kind` at `line`:`column` whose message contains `fragment`.
@discardableResult
func fails(_ code: String, _ kind: CASLError.Kind, line: Int, column: Int, _ fragment: String, steps: Int = 100_000,
           limits adjust: (inout InterpreterLimits) -> Void = { _ in }, sourceLocation: SourceLocation = #_sourceLocation) async -> CASLError? {
    let host = StubHost()
    var limits = InterpreterLimits.small(steps: steps)
    adjust(&limits)
    do {
        try await Interpreter(host: host, limits: limits).run(try Parser.parse(code))
        Issue.record("expected a \(kind) error containing '\(fragment)'", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.kind == kind, "kind of: \(error)", sourceLocation: sourceLocation)
        #expect(error.pos == SourcePos(line: line, column: column), "position of: \(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "'\(fragment)' not in: \(error.message)", sourceLocation: sourceLocation)
        return error
    }
}

/// The value of one expression.
func value(_ expression: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Value {
    try #require(try await run("v__ = \(expression);", sourceLocation: sourceLocation)["v__"], sourceLocation: sourceLocation)
}
