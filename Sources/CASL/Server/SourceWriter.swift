import CASWire
import Foundation

/// Writes values as CASL literals that parse back to the same values (used to store definitions).
/// Missing values are left out: CASL has no literal for them.
public enum SourceWriter {
    public static func literal(_ v: Value) -> String {
        switch v {
        case .null: return "{}"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : "{}"
        case .string(let s): return quoted(s)
        case .blob(let b): return quoted(Base64.encode(b))
        case .list(let l): return "{" + l.filter { !$0.isNull }.map(literal).joined(separator: ", ") + "}"
        case .dict(let d): return "{" + entries(d).joined(separator: ", ") + "}"
        case .table(let t): return quoted("<table \(t.name)>")
        }
    }

    /// `key=value` pairs, missing values left out.
    public static func entries(_ d: ValueDict) -> [String] {
        d.filter { !$0.value.isNull }.map { ValueFormatter.key($0.key) + "=" + literal($0.value) }
    }

    /// A string in double quotes; quotes inside are doubled; newlines stay as they are.
    public static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// A `builtins.defineActionSet` call that recreates the set these parameters define.
    public static func defineActionSet(_ params: ValueDict) -> String {
        "/* Written by caslite for builtins.defineActionSet; loaded again at server start. */\n"
            + "builtins.defineActionSet /\n  " + entries(params).joined(separator: "\n  ") + ";\n"
    }
}
