import CASWire
import Foundation

/// The functions a `where` expression may call. Numeric functions return missing for missing or invalid input
/// (`sqrt(-1)`, `log(0)`); `min`, `max`, `sum` and `mean` skip missing arguments as SAS does.
enum WhereFunctions {
    private typealias Num = @Sendable (Int) -> Double
    private typealias Str = @Sendable (Int) -> String

    /// Name → (argument count range, description for errors): these and `sasSignatures`.
    static let signatures = baseSignatures.merging(sasSignatures) { base, _ in base }

    static let baseSignatures: [String: (arity: ClosedRange<Int>, usage: String)] = [
        "missing": (1...1, "missing(x)"),
        "abs": (1...1, "abs(x)"), "int": (1...1, "int(x)"), "floor": (1...1, "floor(x)"), "ceil": (1...1, "ceil(x)"),
        "round": (1...2, "round(x[, unit])"), "sqrt": (1...1, "sqrt(x)"), "exp": (1...1, "exp(x)"), "log": (1...1, "log(x)"),
        "mod": (2...2, "mod(x, d)"),
        "min": (1...64, "min(x, ...)"), "max": (1...64, "max(x, ...)"), "sum": (1...64, "sum(x, ...)"),
        "mean": (1...64, "mean(x, ...)"),
        "upcase": (1...1, "upcase(s)"), "lowcase": (1...1, "lowcase(s)"), "trim": (1...1, "trim(s)"),
        "strip": (1...1, "strip(s)"), "length": (1...1, "length(s)"), "substr": (2...3, "substr(s, start[, length])"),
        "reverse": (1...1, "reverse(s)"), "index": (2...2, "index(s, excerpt)"),
        "cats": (1...64, "cats(a, ...)"), "scan": (2...3, "scan(s, n[, delimiters])"), "put": (2...2, "put(x, 'format')"),
    ]

    static func compile(_ name: String, _ args: [WhereOperand], at position: Int) throws(WhereError) -> WhereCompiled {
        let key = name.lowercased()
        guard let signature = signatures[key] else {
            let hint = WhereSuggestion.hint(for: name, in: signatures.keys.sorted())
            throw WhereError(message: "unknown function '\(name)'\(hint)", position: position)
        }
        guard signature.arity.contains(args.count) else {
            throw WhereError(
                message: "\(key) takes \(signature.arity.count == 1 ? "\(signature.arity.lowerBound)" : "\(signature.arity.lowerBound) to \(signature.arity.upperBound)") argument(s) but got \(args.count); usage: \(signature.usage)",
                position: position)
        }
        if key == "missing" { return .condition(WhereBinder.missingTest(args[0])) }
        if sasSignatures[key] != nil { return try compileSAS(key, args) }
        if ["upcase", "lowcase", "trim", "strip", "length", "substr", "reverse", "index"].contains(key) {
            return try text(key, args)
        }
        if key == "cats" {
            // SAS: each argument without leading and trailing blanks, concatenated; numbers as text
            let parts = try args.map { (a) throws(WhereError) -> @Sendable (Int) -> String in try WhereBinder.text(a, for: "cats()") }
            return .string { row in parts.map { String($0(row).drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }.joined() }
        }
        if key == "scan" { return try scan(args) }
        if key == "put" { return try put(args, at: position) }
        var nums: [Num] = []
        for a in args { nums.append(try WhereBinder.number(a, for: "\(key)()")) }
        return .number(numeric(key, nums))
    }

    private static func numeric(_ key: String, _ a: [Num]) -> Num {
        let x = a[0]
        switch key {
        case "abs": return { abs(x($0)) }
        case "int": return { x($0).rounded(.towardZero) }
        case "floor": return { x($0).rounded(.down) }
        case "ceil": return { x($0).rounded(.up) }
        case "round":
            guard a.count == 2 else { return { x($0).rounded(.toNearestOrAwayFromZero) } }
            let unit = a[1]
            return { row in
                let u = unit(row)
                return u.isNaN || u <= 0 ? .nan : (x(row) / u).rounded(.toNearestOrAwayFromZero) * u
            }
        case "sqrt": return { let v = x($0); return v < 0 ? .nan : v.squareRoot() }
        case "exp": return { let v = Foundation.exp(x($0)); return v.isFinite ? v : .nan }
        case "log": return { let v = x($0); return v > 0 ? Foundation.log(v) : .nan }
        case "mod":
            let d = a[1]
            return { row in let y = d(row); return y == 0 ? .nan : x(row).truncatingRemainder(dividingBy: y) }
        default:
            return aggregate(key, a)
        }
    }

    /// min/max/sum/mean over the non-missing arguments; missing when all are missing.
    private static func aggregate(_ key: String, _ a: [Num]) -> Num {
        return { row in
            var n = 0, sum = 0.0, lo = Double.infinity, hi = -Double.infinity
            for f in a {
                let v = f(row)
                if v.isNaN { continue }
                n += 1; sum += v; lo = min(lo, v); hi = max(hi, v)
            }
            if n == 0 { return .nan }
            switch key {
            case "min": return lo
            case "max": return hi
            case "sum": return sum
            default: return sum / Double(n)
            }
        }
    }

    /// scan(s, n[, delimiters]): the n-th word (negative n counts from the end), SAS's default delimiters.
    private static func scan(_ args: [WhereOperand]) throws(WhereError) -> WhereCompiled {
        let s = try WhereBinder.text(args[0], for: "scan()")
        let n = try WhereBinder.number(args[1], for: "scan()")
        let delims: (@Sendable (Int) -> String)? = args.count == 3 ? try WhereBinder.string(args[2], for: "scan()") : nil
        return .string { row in
            let d = Set(delims?(row) ?? " !$%&()*+,-./;<^|")
            let words = s(row).split(whereSeparator: { d.contains($0) }).map(String.init)
            let k = n(row)
            guard k.isFinite, k != 0, abs(k) <= Double(words.count) else { return "" }
            let i = k > 0 ? Int(k) - 1 : words.count + Int(k)
            return words.indices.contains(i) ? words[i] : ""
        }
    }

    /// put(x, 'format'): a value as text in a SAS format — Zw. (zero-padded integer), w. / w.d / BESTw.
    /// (numbers), $w. / $CHARw. (strings, cut to w). The format is a string literal (a computed program's
    /// bare `z10.` is quoted before parsing).
    private static func put(_ args: [WhereOperand], at position: Int) throws(WhereError) -> WhereCompiled {
        guard case .string(let fmtFn) = args[1].code, args[1].isConstant else {
            throw WhereError(message: "put() needs a format literal such as 'z10.' as its second argument", position: position)
        }
        let fmt = fmtFn(0).uppercased()
        guard let m = fmt.wholeMatch(of: /(\$CHAR|\$|Z|BEST)?(\d*)\.(\d*)/) else {
            throw WhereError(message: "put(): format '\(fmt)' is not supported (Zw., w., w.d, BESTw., $w., $CHARw.)", position: position)
        }
        let kind = String(m.1 ?? ""), width = Int(m.2) ?? 0, decimals = Int(m.3) ?? 0
        // SAS's limits: numeric formats up to 32 wide with up to 31 decimals, character formats up to 32767
        guard width <= (kind.hasPrefix("$") ? 32767 : 32), decimals <= 31, m.2.count <= 5, m.3.count <= 2 else {
            throw WhereError(message: "put(): format '\(fmt)' is too wide (numeric formats: width ≤ 32, decimals ≤ 31; $w.: w ≤ 32767)", position: position)
        }
        if kind.hasPrefix("$") {
            let v = try WhereBinder.text(args[0], for: "put()")
            return .string { row in width > 0 ? String(v(row).prefix(width)) : v(row) }
        }
        let x = try WhereBinder.number(args[0], for: "put()")
        return .string { row in
            let d = x(row)
            guard !d.isNaN else { return "." }
            var t: String
            switch kind {
            case "Z" where abs(d) < 9e18:
                let i = Int64(d.rounded(.toNearestOrAwayFromZero))
                t = String(i.magnitude)
                if t.count < width - (i < 0 ? 1 : 0) { t = String(repeating: "0", count: width - (i < 0 ? 1 : 0) - t.count) + t }
                if i < 0 { t = "-" + t }
            case "BEST", "Z": t = WhereSemantics.text(d)  // Z of a number beyond Int64: plain text
            default: t = decimals > 0 ? String(format: "%.\(decimals)f", d) : WhereSemantics.text(d.rounded(.toNearestOrAwayFromZero))
            }
            if width > 0, t.count < width, kind != "Z" { t = String(repeating: " ", count: width - t.count) + t }
            return t
        }
    }

    private static func text(_ key: String, _ args: [WhereOperand]) throws(WhereError) -> WhereCompiled {
        let s = try WhereBinder.string(args[0], for: "\(key)()")
        switch key {
        case "upcase": return .string { s($0).uppercased() }
        case "lowcase": return .string { s($0).lowercased() }
        case "trim": return .string { WhereSemantics.trimTrailingBlanks(s($0)) }
        case "strip":
            return .string { row in
                let v = s(row)
                return String(v.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
            }
        case "reverse": return .string { String(s($0).reversed()) }
        case "index":
            // SAS: 1-based position of the first occurrence of the excerpt, 0 when absent.
            let e = try WhereBinder.string(args[1], for: "index()")
            return .number { row in
                let hay = Array(s(row)), needle = Array(e(row))
                var at = -1
                _ = WhereSemantics.Needle(needle).matches(in: hay, from: 0) { at = $0; return false }
                return Double(at + 1)
            }
        case "length":
            // SAS: length without trailing blanks, 1 for a blank string.
            return .number { max(1, Double(WhereSemantics.trimTrailingBlanks(s($0)).count)) }
        default:  // substr(s, start[, length]) with 1-based start, as SAS
            let start = try WhereBinder.number(args[1], for: "substr()")
            let length: Num? = args.count == 3 ? try WhereBinder.number(args[2], for: "substr()") : nil
            return .string { row in
                let chars = Array(s(row))
                let b = start(row), l = min(length?(row) ?? Double(chars.count), Double(chars.count))
                guard !b.isNaN, !l.isNaN, b >= 1, b <= Double(chars.count), l >= 0 else { return "" }
                let from = min(chars.count, Int(b) - 1)
                let to = min(chars.count, from + Int(l))
                return String(chars[from..<to])
            }
        }
    }
}
