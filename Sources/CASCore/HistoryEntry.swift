import CASWire
import CheckedSize

/// One call a session ran, as `builtins.history` shows it.
public struct HistoryEntry: Sendable, Equatable {
    /// 1 for the session's first call, counting on after old entries are dropped.
    public var number: Int
    /// `set.action`.
    public var action: String
    /// The parameters as sent (JSON), cut to `maxParameters` characters.
    public var parameters: String
    public var severity: Severity
    /// Seconds the call took.
    public var elapsed: Double

    /// How many calls a session remembers.
    public static let kept = Limits.historyEntries
    /// Longest parameter text kept per call, in characters.
    public static let maxParameters = Limits.historyParameterCharacters

    public init(number: Int, action: String, parameters: String, severity: Severity, elapsed: Double) {
        self.number = number
        self.action = action
        self.parameters = parameters.count > Self.maxParameters ? String(parameters.prefix(Self.maxParameters)) + "…" : parameters
        self.severity = severity
        self.elapsed = elapsed
    }
}

extension HistoryEntry {
    /// `params` as CASL-style text (`name='x', n=3, list={1, 2}`), rendered only up to `maxParameters`
    /// characters: a call's parameters may be a large upload or a million-row `addTable`.
    public static func text(_ params: ValueDict) -> String {
        var out = ""
        var first = true
        for (k, v) in params.entries {
            if out.count > maxParameters { break }
            out += (first ? "" : ", ") + k + "="
            first = false
            render(v, into: &out)
        }
        return out
    }

    static func render(_ v: Value, into out: inout String) {
        guard out.count <= maxParameters else { return }
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += "\(i)"
        case .double(let d): out += "\(d)"
        case .string(let s):
            let head = s.prefix(201)   // (counting all of a 16 MB string's characters would take longer than the call)
            out += "'" + (head.count > 200 ? String(head.prefix(200)) + "…" : s) + "'"
        case .blob(let b): out += "<\(b.count) bytes>"
        case .table(let t): out += "<table \(t.name), \(t.rowCount) rows>"
        case .list(let items):
            out += "{"
            for (i, item) in items.enumerated() {
                if out.count > maxParameters { break }
                if i > 0 { out += ", " }
                render(item, into: &out)
            }
            out += "}"
        case .dict(let d):
            out += "{" + text(d) + "}"
        }
    }
}
