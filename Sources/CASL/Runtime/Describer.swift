import CASWire

/// `describe`: the type and structure of a value, one line per element (nested containers indented).
enum Describer {
    static let maxItems = 50
    static let maxDepth = 6

    static func lines(_ v: Value, name: String) -> [String] {
        var out: [String] = []
        describe(v, label: name, indent: "", depth: 0, into: &out)
        return out
    }

    static func describe(_ v: Value, label: String, indent: String, depth: Int, into out: inout [String]) {
        out.append(indent + label + ": " + summary(v))
        guard depth < maxDepth else { return }
        let inner = indent + "  "
        switch v {
        case .list(let l):
            for (k, x) in l.prefix(maxItems).enumerated() { describe(x, label: "[\(k + 1)]", indent: inner, depth: depth + 1, into: &out) }
            if l.count > maxItems { out.append(inner + "… \(l.count - maxItems) more items") }
        case .dict(let d):
            for e in d.entries.prefix(maxItems) { describe(e.value, label: e.key, indent: inner, depth: depth + 1, into: &out) }
            if d.count > maxItems { out.append(inner + "… \(d.count - maxItems) more entries") }
        case .table(let t):
            for c in t.columns.prefix(maxItems) {
                out.append(inner + c.name + " (" + c.type.rawValue + (c.label.isEmpty ? "" : ", label \"\(c.label)\"") + ")")
            }
        default: break
        }
    }

    static func summary(_ v: Value) -> String {
        switch v {
        case .null: "missing"
        case .bool(let b): "boolean \(b)"
        case .int(let i): "integer \(i)"
        case .double: "double \(ValueFormatter.scalar(v))"
        case .string(let s): "string (\(s.count) characters)"
        case .blob(let b): "blob (\(b.count) bytes)"
        case .list(let l): "list (\(l.count) items)"
        case .dict(let d): "dictionary (\(d.count) entries)"
        case .table(let t): "table \(t.name) (\(t.rowCount) rows, \(t.columns.count) columns)"
        }
    }
}
