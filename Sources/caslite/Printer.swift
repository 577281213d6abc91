import CASClient
import Foundation
import CASWire

/// Renders responses for a terminal: log lines, tables aligned the way SWAT prints them, scalars,
/// and the disposition when it is not Normal.
enum Printer {
    static func print(_ r: Response, logsAlreadyShown: Bool) {
        if !logsAlreadyShown { for l in r.logs { Swift.print(l.formatted) } }
        for (k, v) in r.results { printResult(k, v) }
        if r.disposition.severity != .normal {
            Swift.print("[\(r.disposition.severity.rawValue)] \(r.disposition.reason) (status \(r.disposition.statusCode)): \(r.disposition.formattedStatus)")
        }
        Swift.print(String(format3(r.performance.elapsedTime)) + "s elapsed")
    }

    /// `builtins.help`'s answer, once: its log lines (the NOTE prefix dropped), not the result tables that repeat them.
    static func printHelp(_ r: Response) {
        for l in r.logs { Swift.print(l.level == .note ? l.message : l.formatted) }
        if r.disposition.severity == .error {
            Swift.print("[\(r.disposition.severity.rawValue)] \(r.disposition.reason) (status \(r.disposition.statusCode)): \(r.disposition.formattedStatus)")
        }
    }

    static func format3(_ x: Double) -> String {
        let ms = (x * 1000).rounded()
        return "\(Int(ms) / 1000).\(String(Int(ms) % 1000).leftPad(3, "0"))"
    }

    static func printResult(_ key: String, _ v: Value) {
        switch v {
        case .table(let t):
            Swift.print("[\(key)]\n")
            if !t.label.isEmpty { Swift.print(" \(t.label)\n") }
            Swift.print(render(t))
            Swift.print("")
        case .dict(let d):
            Swift.print("[\(key)]")
            printDict(d, indent: "  ")
        default:
            Swift.print("[\(key)] \(short(v))")
        }
    }

    /// A dictionary result as indented `key: value` lines, nested dictionaries one level deeper.
    static func printDict(_ d: ValueDict, indent: String) {
        for (k, v) in d {
            if case .dict(let inner) = v, !inner.isEmpty {
                Swift.print("\(indent)\(k):")
                printDict(inner, indent: indent + "  ")
            } else {
                Swift.print("\(indent)\(k): \(short(v))")
            }
        }
    }

    static func short(_ v: Value) -> String {
        switch v {
        case .string(let s): s
        case .blob(let b): "<\(b.count) bytes>"
        case .table(let t): "<table \(t.name): \(t.rowCount) rows>"
        default: v.jsonString
        }
    }

    static func cell(_ v: Value) -> String {
        switch v {
        case .null: "."
        case .double(let d): number(d)
        case .blob(let b): "<\(b.count) bytes>"
        default: short(v)
        }
    }

    /// A double as pandas shows it: `2.0`, `0.5`, `1796340000.12` (not `1.79634e+09`).
    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) + ".0" : NumberText.text(d, digits: 6)
    }

    /// A pandas-like text table: a row-number column, right-aligned numbers, left-aligned text.
    static func render(_ t: DataTable, maxRows: Int = 200) -> String {
        let n = min(t.rowCount, maxRows)
        var cols: [[String]] = [[""] + (0..<n).map(String.init)]
        var numeric: [Bool] = [true]
        for c in t.columns {
            cols.append([c.heading] + (0..<n).map { cell(c.data.value(at: $0)) })
            numeric.append(c.type.isNumeric)
        }
        let widths = cols.map { $0.map(\.count).max() ?? 0 }
        var lines: [String] = []
        for r in 0...n {
            var parts: [String] = []
            for (i, col) in cols.enumerated() {
                parts.append(numeric[i] || r == 0 ? col[r].leftPad(widths[i]) : col[r].rightPad(widths[i]))
            }
            lines.append(parts.joined(separator: "  "))
        }
        if t.rowCount > n { lines.append("… \(t.rowCount - n) more rows") }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPad(_ n: Int, _ c: Character = " ") -> String { count >= n ? self : String(repeating: c, count: n - count) + self }
    func rightPad(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
