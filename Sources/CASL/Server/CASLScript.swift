import CASCore
import CASWire

/// Compiling and running scripts inside actions (`sccasl.runCasl`, user-defined actions), with
/// script errors turned into `ActionError`s that name the line and column.
public enum CASLScript {
    /// Parses `code`; a syntax error is an error of `parameter`, with the offending line quoted.
    public static func compile(_ code: String, parameter: String = "code") throws(ActionError) -> Program {
        do {
            return try Parser.parse(code)
        } catch {
            throw actionError(error, source: code, parameter: parameter)
        }
    }

    /// Runs `program` in `ctx` with `vars` preset; returns what `send_response` sent.
    public static func run(_ program: Program, source: String, in ctx: ActionContext, vars: ValueDict = ValueDict(),
                           limits: InterpreterLimits = InterpreterLimits()) async throws(ActionError) -> ValueDict {
        let interpreter = Interpreter(host: ContextHost(ctx), limits: limits)
        for (k, v) in vars { interpreter.set(k, v) }
        do {
            return try await interpreter.run(program)
        } catch {
            throw actionError(error, source: source, parameter: "code")
        }
    }

    /// The ActionError for a script error: syntax errors are parameter errors, cancellation stays cancellation.
    public static func actionError(_ e: CASLError, source: String, parameter: String) -> ActionError {
        let excerpt = Self.excerpt(source, e.pos)
        switch e.kind {
        case .syntax:
            return ActionError(.parameterValue, "CASL syntax error at \(e.pos): \(sentence(e.message))", parameter: parameter, details: excerpt, cause: e)
        case .cancelled:
            return .cancelled
        case .runtime, .limit, .exit:
            return ActionError(.badInput, "CASL error at \(e.pos): \(sentence(e.message))", details: excerpt, cause: e)
        }
    }

    static func sentence(_ s: String) -> String { s.hasSuffix(".") || s.hasSuffix("?") ? s : s + "." }

    /// The script line an error points at, with a caret under the column.
    public static func excerpt(_ source: String, _ pos: SourcePos) -> [String] {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        guard pos.line >= 1, pos.line <= lines.count else { return [] }
        let line = String(lines[pos.line - 1].prefix(200)).replacingTabs
        guard !line.allSatisfy({ $0 == " " }) else { return [] }
        return ["  \(pos.line) | \(line)", "  \(String(repeating: " ", count: String(pos.line).count)) | \(String(repeating: " ", count: max(0, pos.column - 1)))^"]
    }
}

extension String {
    var replacingTabs: String { String(map { $0 == "\t" ? " " : $0 }) }
}
