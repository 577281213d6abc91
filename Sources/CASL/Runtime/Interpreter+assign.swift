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
                var delta = ValueSize.bytes(value, cap: limits.maxValueBytes)
                if case .key(let k, _)? = path.first { delta += k.utf8.count + ValueSize.overhead }
                // The variable gives up its value while it changes, so the list or dictionary is not copied; when
                // the value might not fit (the replaced value is not known yet), a copy changes and the original stays.
                let inPlace = canGrow(name, by: delta)
                var current = takeVariable(name)
                var changed = inPlace ? current.take() : current
                var replaced: Value?
                do throws(CASLError) { try update(&changed, path.reversed()[...], value, replaced: &replaced) } catch {
                    restoreVariable(name, inPlace ? changed : current)  // update changes nothing when it throws
                    throw error
                }
                if let replaced {
                    delta -= ValueSize.bytes(replaced, cap: Int.max / 2)
                    if case .key(let k, _)? = path.first { delta -= k.utf8.count + ValueSize.overhead }
                }
                do throws(CASLError) { try assign(name, changed ?? .null, at: pos, delta: delta) } catch {
                    restoreVariable(name, current)  // only when not in place: in place it fits
                    throw error
                }
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

    /// Sets `value` at `path` inside `container`, in place (nil: a missing container, made as the path needs);
    /// `replaced` receives the value it replaced (nil: a new entry). Each level's list or dictionary is taken
    /// out of its parent while it changes, so it is not copied: `l[i] = v` in a loop stays linear. On an error
    /// nothing has changed.
    func update(_ container: inout Value?, _ path: ArraySlice<PathStep>, _ value: Value, replaced: inout Value?) throws(CASLError) {
        guard let step = path.first else { replaced = container; container = value; return }
        let rest = path.dropFirst()
        switch step {
        case .key(let k, let p):
            if container == nil || container == .null || container == .list([]) {  // `{}` is an empty list that becomes a dictionary
                var inner: Value?
                try update(&inner, rest, value, replaced: &replaced)
                container = .dict(ValueDict([(k, inner ?? .null)]))
            } else if case .dict(var d)? = container {
                container = nil  // d is now the dictionary's only owner
                defer { container = .dict(d) }
                try updateEntry(&d, k, rest, value, replaced: &replaced)
            } else {
                throw .runtime("cannot set '\(k)' in \(Operators.article(container ?? .null)); only dictionaries have keys", at: p)
            }
        case .position(let i, let p):
            if container == nil || container == .null {
                _ = try Access.position(i, count: 1, what: "new list", at: p)
                var inner: Value?
                try update(&inner, rest, value, replaced: &replaced)
                container = .list([inner ?? .null])
            } else if case .list(var l)? = container {
                let k = try Access.position(i, count: l.count + 1, what: "list", at: p)
                container = nil  // l is now the list's only owner
                defer { container = .list(l) }
                var inner: Value? = k == l.count ? nil : l[k]
                if k < l.count { l[k] = .null }
                do throws(CASLError) { try update(&inner, rest, value, replaced: &replaced) } catch {
                    if k < l.count, let inner { l[k] = inner }
                    throw error
                }
                if k == l.count { l.append(inner ?? .null) } else { l[k] = inner ?? .null }
            } else if case .dict(var d)? = container {
                let k = try Access.position(i, count: d.count, what: "dictionary", at: p)
                container = nil
                defer { container = .dict(d) }
                try updateEntry(&d, d.entries[k].key, rest, value, replaced: &replaced)
            } else {
                throw .runtime("cannot set an element of \(Operators.article(container ?? .null)); only lists and dictionaries can be changed", at: p)
            }
        }
    }

    /// `update` of the entry `key` of `d` (a new one when absent), taking its value out while it changes.
    private func updateEntry(_ d: inout ValueDict, _ key: String, _ rest: ArraySlice<PathStep>, _ value: Value,
                             replaced: inout Value?) throws(CASLError) {
        var inner = d[key]
        if inner != nil { d[key] = .null }  // release the old value so its update does not copy it
        do throws(CASLError) { try update(&inner, rest, value, replaced: &replaced) } catch {
            if let inner { d[key] = inner }
            throw error
        }
        d[key] = inner ?? .null
    }
}
