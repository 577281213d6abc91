import CASWire
import CheckedSize

/// Decodes and validates raw parameters against declared specs.
///
/// Names match case-insensitively at every level; unknown names are refused with a near-miss
/// suggestion; numbers are coerced where lossless (4.0 → 4, "4" → 4); a scalar stands for a
/// one-item list or fills a parameter list's first parameter; defaults are filled in.
public enum Validator {
    public static func validate(_ input: ValueDict, _ specs: [ParamSpec], path: String = "") throws(ActionError) -> ValueDict {
        let input = try deduplicate(input, path: path)
        var out = ValueDict()
        for (key, value) in input {
            guard let spec = specs.first(where: { $0.matches(key) }) else {
                throw unknown(key, path: path, specs: specs)
            }
            if value.isNull { continue }  // null means "not given"
            out[spec.name] = try coerce(value, spec.type, spec: spec, path: join(path, spec.name))
        }
        for spec in specs where out[spec.name] == nil {
            if let d = spec.defaultValue {
                out[spec.name] = d
            } else if spec.isRequired {
                throw ActionError(.parameterMissing, "Parameter '\(join(path, spec.name))' is required: \(spec.description)",
                                  parameter: join(path, spec.name))
            }
        }
        return reorder(out, specs)
    }

    /// Keeps declaration order so results and echoes read predictably.
    static func reorder(_ d: ValueDict, _ specs: [ParamSpec]) -> ValueDict {
        var out = ValueDict()
        for s in specs { if let v = d[s.name] { out.appendUnchecked(s.name, v) } }
        return out
    }

    static func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// Keys that differ only in case name the same parameter: the same value twice is merged; two lists
    /// are joined (first list, then the other's new items) — swat adds `fetchvars`/`inputs` from a
    /// table's column selection next to a caller's `fetchVars` (DLPy's plot_evaluate_res does this);
    /// other different values are refused.
    static func deduplicate(_ d: ValueDict, path: String) throws(ActionError) -> ValueDict {
        var out = ValueDict()
        var seen: [String: (key: String, value: Value)] = [:]
        for (key, value) in d {
            if let first = seen[key.lowercased()] {
                if first.value != value, case .list(let a) = first.value, case .list(let b) = value {
                    let joined = Value.list(a + b.filter { !a.contains($0) })
                    seen[key.lowercased()] = (first.key, joined)
                    out[first.key] = joined
                    continue
                }
                guard first.value == value else {
                    throw ActionError(.parameterDuplicate,
                                      "Parameter '\(join(path, key))' was given twice with different values ('\(first.key)' and '\(key)'); names are case-insensitive.",
                                      parameter: join(path, key))
                }
                continue
            }
            seen[key.lowercased()] = (key, value)
            out.appendUnchecked(key, value)
        }
        return out
    }

    static func unknown(_ key: String, path: String, specs: [ParamSpec]) -> ActionError {
        let visible = specs.filter { !$0.hidden }.map(\.name)
        let msg = NearMiss.withSuggestion("Parameter '\(join(path, key))' is not recognized.", for: key, among: visible)
        return ActionError(.parameterUnknown, msg, parameter: join(path, key),
                           details: [visible.isEmpty ? "It takes no parameters." : "Expecting one of the following: \(visible.joined(separator: ", "))."])
    }

    /// "Parameter 'p' does not accept "x"; expected one of: a, b. Did you mean 'a'?"
    static func notAllowed(_ given: String, _ allowed: [String], path: String) -> ActionError {
        let msg = "Parameter '\(path)' does not accept \(Names.quote(given)); expected one of: \(allowed.joined(separator: ", "))."
        return ActionError(.parameterValue, NearMiss.withSuggestion(msg, for: given, among: allowed), parameter: path)
    }

    static func typeError(_ v: Value, _ type: ParamType, path: String) -> ActionError {
        ActionError(.parameterType, "Parameter '\(path)' expects \(type.humanName), but got \(describe(v)).", parameter: path)
    }

    static func describe(_ v: Value) -> String {
        switch v {
        case .string(let s): "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .int(let i): "the integer \(i)"
        case .double(let d): "the number \(d)"
        case .bool(let b): "the boolean \(b)"
        default: "a \(v.typeName)"
        }
    }

    static func coerce(_ v: Value, _ type: ParamType, spec: ParamSpec?, path: String) throws(ActionError) -> Value {
        switch type {
        case .value:
            return v
        case .bool:
            switch v {
            case .bool: return v
            case .int(let i) where i == 0 || i == 1: return .bool(i == 1)
            case .double(let d) where d == 0 || d == 1: return .bool(d == 1)
            case .string(let s):
                switch s.lowercased() {
                case "true", "yes", "1": return .bool(true)
                case "false", "no", "0": return .bool(false)
                default: throw typeError(v, type, path: path)
                }
            default: throw typeError(v, type, path: path)
            }
        case .int:
            let i: Int64?
            switch v {
            case .string(let s): i = Int64(s.trimmingSpaces) ?? Double(s.trimmingSpaces).flatMap { Value.double($0).intValue }
            default: i = v.intValue
            }
            var whole = i
            if whole == nil, case .double(let d) = v, d.isFinite, d == d.rounded() {
                // a whole double past 2^53 (1e18, 2^64 written in JSON) is an integer too, if Int64 holds it
                guard d > -9.223_372_036_854_775_808e18, d < 9.223_372_036_854_775_808e18 else {
                    throw ActionError(.parameterRange, "Parameter '\(path)' expects an integer, but got \(d), which is outside the 64-bit range (±9223372036854775807).", parameter: path)
                }
                whole = Int64(d)
            }
            guard let i = whole else {
                if case .double(let d) = v {
                    throw ActionError(.parameterType, "Parameter '\(path)' expects an integer, but got \(d), which is not a whole number.", parameter: path)
                }
                throw typeError(v, type, path: path)
            }
            try checkRange(Double(i), spec, path: path)
            return .int(i)
        case .double:
            let d: Double?
            switch v {
            case .string(let s): d = Double(s.trimmingSpaces)
            default: d = v.doubleValue
            }
            guard let d else { throw typeError(v, type, path: path) }
            guard !d.isNaN else {
                throw ActionError(.parameterValue, "Parameter '\(path)' expects a number, but got NaN (a missing value).", parameter: path)
            }
            try checkRange(d, spec, path: path)
            return .double(d)
        case .string:
            guard case .string(let s) = v else { throw typeError(v, type, path: path) }
            // names go through the one name validator wherever they are declared as names
            if spec?.isTableName == true { try Names.check(s, .table, parameter: path) }
            if spec?.isCasLib == true { try Names.check(s, .caslibReference, parameter: path) }
            let maxBytes = spec?.maxBytes ?? Limits.maxStringParameter
            guard s.utf8.count <= maxBytes else {
                throw ActionError(.parameterValue, "Parameter '\(path)' holds a string of \(s.utf8.count) bytes; at most \(maxBytes) are accepted.", parameter: path)
            }
            if let allowed = spec?.allowedValues {
                guard let match = allowed.first(where: { $0.lowercased() == s.lowercased() }) else {
                    throw notAllowed(s, allowed, path: path)
                }
                return .string(match)
            }
            return v
        case .blob:
            switch v {
            case .blob: return v
            case .string(let s):
                guard let b = Base64.decode(s) else { throw typeError(v, type, path: path) }
                return .blob(b)
            default: throw typeError(v, type, path: path)
            }
        case .list(let item):
            let items = v.listValue ?? [v]
            var out: [Value] = []
            out.reserveCapacity(items.count)
            // The list's range and allowed values apply to each item.
            for (i, e) in items.enumerated() { out.append(try coerce(e, item, spec: spec, path: "\(path)[\(i + 1)]")) }
            return .list(out)
        case .dict(let specs):
            switch v {
            case .dict(let d): return .dict(try validate(d, specs, path: path))
            case .string, .int, .double, .bool:
                guard let first = specs.first else { throw typeError(v, type, path: path) }
                return .dict(try validate(ValueDict([(first.name, v)]), specs, path: path))
            default: throw typeError(v, type, path: path)
            }
        case .selector(let key, let alternatives):
            guard case .dict(let raw) = v else { throw typeError(v, type, path: path) }
            let d = try deduplicate(raw, path: path)
            let names = alternatives.map(\.name)
            guard let chosen = d[key]?.stringValue else {
                throw ActionError(.parameterMissing, "Parameter '\(join(path, key))' is required: one of \(names.joined(separator: ", ")).",
                                  parameter: join(path, key))
            }
            guard let alt = alternatives.first(where: { $0.name.lowercased() == chosen.lowercased() }) else {
                throw notAllowed(chosen, names, path: join(path, key))
            }
            var rest = d
            rest[key] = nil
            var out = try validate(rest, alt.parameters.filter { !$0.matches(key) }, path: path)
            out = ValueDict([(key, .string(alt.name))] + out.entries.map { ($0.key, $0.value) })
            return .dict(out)
        }
    }

    static func checkRange(_ x: Double, _ spec: ParamSpec?, path: String) throws(ActionError) {
        guard let spec else { return }
        if let lo = spec.valueMin, let hi = spec.valueMax, !spec.exclusiveMin, !spec.exclusiveMax, !(x >= lo && x <= hi) {
            throw ActionError(.parameterRange, "Parameter '\(path)' must be from \(fmt(lo)) to \(fmt(hi)), but got \(fmt(x)).", parameter: path)
        }
        if let lo = spec.valueMin, spec.exclusiveMin ? !(x > lo) : !(x >= lo) {
            throw ActionError(.parameterRange, "Parameter '\(path)' must be \(spec.exclusiveMin ? ">" : ">=") \(fmt(lo)), but got \(fmt(x)).", parameter: path)
        }
        if let hi = spec.valueMax, spec.exclusiveMax ? !(x < hi) : !(x <= hi) {
            throw ActionError(.parameterRange, "Parameter '\(path)' must be \(spec.exclusiveMax ? "<" : "<=") \(fmt(hi)), but got \(fmt(x)).", parameter: path)
        }
    }

    static func fmt(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d) }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
