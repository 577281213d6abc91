import CASWire

/// One step of an assignment target: `.key` / `["key"]`, or `[i]`.
enum PathStep {
    case key(String, SourcePos)
    case position(Value, SourcePos)
}

extension Interpreter {
    /// `x = v`, `x.a.b = v`, `x["k"] = v`, `x[i] = v` (i up to one past the end appends). Missing
    /// containers are created: a dictionary for a key, a list for a position; a key set in `{}` makes it a dictionary.
    func assign(to target: Expr, _ value: Value, at pos: SourcePos) async throws(CASLError) {
        var path: [PathStep] = []
        var e = target
        while true {
            switch e {
            case .variable(let name, _):
                try checkSize(value, extraDepth: path.count, at: pos)
                if path.isEmpty { try assign(name, value, at: pos); return }
                // The variable grows by the new value less the one it replaces (plus a new entry's key).
                var replaced: Value?
                let updated = try update(existing(name), path.reversed()[...], value, replaced: &replaced)
                var delta = ValueSize.bytes(value, cap: limits.maxValueBytes) - (replaced.map { ValueSize.bytes($0, cap: Int.max / 2) } ?? 0)
                if replaced == nil, case .key(let k, _)? = path.first { delta += k.utf8.count + ValueSize.overhead }
                try assign(name, updated, at: pos, delta: delta)
                return
            case .member(let base, let key, let p):
                path.append(.key(key, p))
                e = base
            case .index(let base, let subs, let p):
                guard let s = subs.first, let sub = s else { throw .syntax("cannot assign to this index", at: p) }
                let v = try await eval(sub)
                path.append(v.stringValue.map { .key($0, p) } ?? .position(v, p))
                e = base
            default:
                throw .syntax("the left side of '=' must be a variable, a member or an element", at: e.pos)
            }
        }
    }

    /// `container` with `value` set at `path`; `replaced` receives the value it replaced (nil: a new entry).
    func update(_ container: Value?, _ path: ArraySlice<PathStep>, _ value: Value, replaced: inout Value?) throws(CASLError) -> Value {
        guard let step = path.first else { replaced = container; return value }
        let rest = path.dropFirst()
        switch (step, container ?? .null) {
        case (.key(let k, _), .null), (.key(let k, _), .list([])):  // `{}` is an empty list that becomes a dictionary
            return .dict(ValueDict([(k, try update(nil, rest, value, replaced: &replaced))]))
        case (.key(let k, _), .dict(var d)):
            let old = d[k]
            d[k] = .null  // release the old value so the update does not copy it
            d[k] = try update(old, rest, value, replaced: &replaced)
            return .dict(d)
        case (.position(let i, let p), .null):
            _ = try Access.position(i, count: 1, what: "new list", at: p)
            return .list([try update(nil, rest, value, replaced: &replaced)])
        case (.position(let i, let p), .list(var l)):
            let k = try Access.position(i, count: l.count + 1, what: "list", at: p)
            if k == l.count { l.append(try update(nil, rest, value, replaced: &replaced)); return .list(l) }
            let old = l[k]
            l[k] = .null
            l[k] = try update(old, rest, value, replaced: &replaced)
            return .list(l)
        case (.position(let i, let p), .dict(var d)):
            let k = try Access.position(i, count: d.count, what: "dictionary", at: p)
            let key = d.entries[k].key
            d[key] = try update(d.entries[k].value, rest, value, replaced: &replaced)
            return .dict(d)
        case (.key(let k, let p), let other):
            throw .runtime("cannot set '\(k)' in \(Operators.article(other)); only dictionaries have keys", at: p)
        case (.position(_, let p), let other):
            throw .runtime("cannot set an element of \(Operators.article(other)); only lists and dictionaries can be changed", at: p)
        }
    }
}
