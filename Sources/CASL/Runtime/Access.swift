import CASCore
import CASWire

/// Reading members and elements: `d.key`, `d["key"]`, `l[i]` (1-based), table rows, cells and columns.
enum Access {
    /// `v.name`: a dictionary entry, or a table property (`nrows`, `ncols`, `columns`, `name`, `label`) or column.
    static func member(_ v: Value, _ name: String, at pos: SourcePos) throws(CASLError) -> Value {
        switch v {
        case .dict(let d):
            if let x = d[name] { return x }
            throw .runtime("the dictionary has no key '\(name)'\(keyHint(d.keys, name))", at: pos)
        case .table(let t):
            if let p = tableProperty(t, name) { return p }
            if let c = t.columnIndex(name) { return column(t, c) }
            throw .runtime("table \(t.name) has no column or property '\(name)'\(keyHint(t.columns.map(\.name), name))", at: pos)
        default:
            throw .runtime("'.\(name)' needs a dictionary or a table, got \(Operators.article(v))", at: pos)
        }
    }

    static func keyHint(_ keys: [String], _ name: String) -> String {
        if let near = NearMiss.suggest(name, among: keys) { return "; did you mean '\(near)'?" }
        if keys.isEmpty { return " (it is empty)" }
        return " (it has: \(keys.prefix(12).joined(separator: ", "))\(keys.count > 12 ? ", …" : ""))"
    }

    static func tableProperty(_ t: DataTable, _ name: String) -> Value? {
        switch name.lowercased() {
        case "nrows": .int(Int64(t.rowCount))
        case "ncols": .int(Int64(t.columns.count))
        case "columns", "colnames": .list(t.columns.map { .string($0.name) })
        case "name": t.columnIndex(name) == nil ? .string(t.name) : nil
        case "label": t.columnIndex(name) == nil ? .string(t.label) : nil
        default: nil
        }
    }

    static func row(_ t: DataTable, _ r: Int) -> ValueDict {
        var d = ValueDict()
        for c in t.columns { d.appendUnchecked(c.name, c.data.value(at: r)) }
        return d
    }

    static func column(_ t: DataTable, _ c: Int) -> Value {
        .list((0..<t.rowCount).map { t.columns[c].data.value(at: $0) })
    }

    /// `v[subs]`. Positions are 1-based, as in CASL.
    static func index(_ v: Value, _ subs: [Value?], at pos: SourcePos) throws(CASLError) -> Value {
        switch v {
        case .table(let t): return try tableIndex(t, subs, at: pos)
        case .list(let l):
            let i = try position(single(subs, v, at: pos), count: l.count, what: "list", at: pos)
            return l[i]
        case .dict(let d):
            let s = try single(subs, v, at: pos)
            if let k = s.stringValue { return try member(v, k, at: pos) }
            let i = try position(s, count: d.count, what: "dictionary", at: pos)
            return d.entries[i].value
        default:
            throw .runtime("cannot index \(Operators.article(v)); indexes apply to lists, dictionaries and tables", at: pos)
        }
    }

    static func single(_ subs: [Value?], _ v: Value, at pos: SourcePos) throws(CASLError) -> Value {
        guard subs.count == 1, let s = subs[0] else { throw .runtime("\(Operators.article(v)) takes one index", at: pos) }
        return s
    }

    /// A 1-based position as a 0-based index, checked against `count`.
    static func position(_ s: Value, count: Int, what: String, at pos: SourcePos) throws(CASLError) -> Int {
        guard s.boolValue == nil, let i = s.intValue else {
            throw .runtime("a \(what) index must be a whole number, got \(Operators.article(s))", at: pos)
        }
        guard i >= 1, i <= Int64(count) else {
            throw .runtime("index \(i) is out of range: the \(what) has \(count) \(count == 1 ? "element" : "elements")", at: pos)
        }
        return Int(i - 1)
    }

    /// `t[i]` a row (dictionary), `t[i, j]` a cell, `t[, j]` or `t["col"]` a column (list); `j` is a position or a name.
    static func tableIndex(_ t: DataTable, _ subs: [Value?], at pos: SourcePos) throws(CASLError) -> Value {
        if subs.count == 1, let s = subs[0], let name = s.stringValue {
            return column(t, try columnPosition(t, .string(name), at: pos))
        }
        guard subs.count <= 2 else { throw .runtime("a table takes one or two indexes ([row] or [row, column])", at: pos) }
        let r = try subs[0].map { s throws(CASLError) in try position(s, count: t.rowCount, what: "table's row", at: pos) }
        let c = try subs.count == 2 ? subs[1].map { s throws(CASLError) in try columnPosition(t, s, at: pos) } : nil
        switch (r, c) {
        case (let r?, nil): return .dict(row(t, r))
        case (let r?, let c?): return t.columns[c].data.value(at: r)
        case (nil, let c?): return column(t, c)
        case (nil, nil): throw .runtime("a table index needs a row or a column", at: pos)
        }
    }

    static func columnPosition(_ t: DataTable, _ s: Value, at pos: SourcePos) throws(CASLError) -> Int {
        if let n = s.stringValue {
            guard let c = t.columnIndex(n) else {
                throw .runtime("table \(t.name) has no column '\(n)'\(keyHint(t.columns.map(\.name), n))", at: pos)
            }
            return c
        }
        return try position(s, count: t.columns.count, what: "table's column", at: pos)
    }
}
