import CASWire
import Foundation

/// How `print` shows values: scalars plainly, lists and dictionaries as CASL literals, tables as
/// aligned text. Output is cut short after `limit` characters.
struct ValueFormatter {
    var limit: Int
    private(set) var text = ""
    private(set) var truncated = false

    init(limit: Int) { self.limit = limit }

    /// A number or boolean as `print` and `||` show it: integers plainly, doubles with up to 12
    /// significant digits (BEST12. style), missing as `.`.
    static func scalar(_ v: Value) -> String {
        switch v {
        case .int(let i): String(i)
        case .double(let d): number(d, digits: 12)
        case .bool(let b): b ? "true" : "false"
        case .null: "."
        case .string(let s): s
        case .blob(let b): "<blob: \(b.count) bytes>"
        case .list(let l): "<list: \(l.count) items>"
        case .dict(let d): "<dictionary: \(d.count) entries>"
        case .table(let t): "<table \(t.name): \(t.rowCount) rows>"
        }
    }

    static func number(_ d: Double, digits: Int) -> String {
        if d.isNaN { return "." }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(format: "%.\(digits)g", d)
    }

    mutating func append(_ s: String) {
        guard !truncated else { return }
        if text.count + s.count > limit {
            text += s.prefix(max(0, limit - text.count)) + " …(output cut short)"
            truncated = true
        } else {
            text += s
        }
    }

    /// A top-level `print` item: strings without quotes, tables as text blocks.
    mutating func display(_ v: Value) {
        switch v {
        case .string(let s): append(s)
        case .table(let t): append(TableText.render(t))
        default: literal(v)
        }
    }

    /// A value as a CASL literal (`{name="x", n=3}`); tables inside containers are summarised.
    mutating func literal(_ v: Value) {
        guard !truncated else { return }
        switch v {
        case .string(let s): append("\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"")
        case .list(let l):
            append("{")
            for (k, x) in l.enumerated() {
                if k > 0 { append(", ") }
                literal(x)
                if truncated { return }
            }
            append("}")
        case .dict(let d):
            append("{")
            for (k, e) in d.enumerated() {
                if k > 0 { append(", ") }
                append(Self.key(e.key) + "=")
                literal(e.value)
                if truncated { return }
            }
            append("}")
        default: append(Self.scalar(v))
        }
    }

    /// A dictionary key: bare when it is a name, quoted otherwise.
    static func key(_ k: String) -> String {
        let ok = !k.isEmpty && k.unicodeScalars.allSatisfy { Lexer.isIdentStart($0) || Lexer.isDigit($0) } && !Lexer.isDigit(k.unicodeScalars.first!)
        return ok ? k : "\"" + k.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
