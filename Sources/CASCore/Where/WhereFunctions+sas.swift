import CASWire
import CheckedSize
import Foundation

/// More of SAS's functions, with SAS's semantics: the ones swat's CASTable string, math and date
/// methods generate (`tbl.col.str.len()` → `lengthn`, `.str.title()` → `propcase`, `.dt.day` → `day`, …).
/// Numeric results are missing for missing or invalid input; dates are SAS dates (days since
/// 1960-01-01), datetimes SAS datetimes (seconds since then).
extension WhereFunctions {
    static let sasSignatures: [String: (arity: ClosedRange<Int>, usage: String)] = [
        "lengthn": (1...1, "lengthn(s)"), "trimn": (1...1, "trimn(s)"), "propcase": (1...1, "propcase(s)"),
        "prxmatch": (2...2, "prxmatch('/pattern/flags', s)"), "count": (2...2, "count(s, substring)"), "find": (2...4, "find(s, substring[, modifiers][, start])"), "repeat": (2...2, "repeat(s, n)"),
        "compress": (1...2, "compress(s[, characters])"), "coalescec": (1...64, "coalescec(s, ...)"),
        "notalnum": (1...1, "notalnum(s)"), "notalpha": (1...1, "notalpha(s)"), "notdigit": (1...1, "notdigit(s)"),
        "notspace": (1...1, "notspace(s)"),
        "rounde": (1...2, "rounde(x[, unit])"), "sign": (1...1, "sign(x)"), "fact": (1...1, "fact(n)"), "gamma": (1...1, "gamma(x)"),
        "lgamma": (1...1, "lgamma(x)"), "erf": (1...1, "erf(x)"), "erfc": (1...1, "erfc(x)"), "log10": (1...1, "log10(x)"),
        "log2": (1...1, "log2(x)"), "modz": (2...2, "modz(x, d)"), "gcd": (2...64, "gcd(a, b, ...)"), "lcm": (2...64, "lcm(a, b, ...)"),
        "coalesce": (1...64, "coalesce(x, ...)"), "beta": (2...2, "beta(a, b)"), "logbeta": (2...2, "logbeta(a, b)"),
        "digamma": (1...1, "digamma(x)"), "trigamma": (1...1, "trigamma(x)"), "constant": (1...1, "constant('name')"), "choosen": (2...64, "choosen(n, x1, x2, ...)"),
        "day": (1...1, "day(date)"), "month": (1...1, "month(date)"), "year": (1...1, "year(date)"), "qtr": (1...1, "qtr(date)"),
        "weekday": (1...1, "weekday(date)"), "mdy": (3...3, "mdy(month, day, year)"), "datepart": (1...1, "datepart(datetime)"),
        "timepart": (1...1, "timepart(datetime)"), "hour": (1...1, "hour(time)"), "minute": (1...1, "minute(time)"),
        "second": (1...1, "second(time)"),
        "cmiss": (1...Limits.maxColumns, "cmiss(x, ...) or cmiss(of a[*])"), "nmiss": (1...Limits.maxColumns, "nmiss(x, ...) or nmiss(of a[*])"),
        "n": (1...Limits.maxColumns, "n(x, ...) or n(of a[*])"),
        "inputc": (2...2, "inputc(s, '$w.')"),
    ]

    static func compileSAS(_ key: String, _ args: [WhereOperand]) throws(WhereError) -> WhereCompiled {
        switch key {
        case "lengthn", "trimn", "propcase", "count", "find", "repeat", "compress", "notalnum", "notalpha", "notdigit", "notspace":
            return try sasText(key, args)
        case "prxmatch":
            guard case .string(let text) = args[0].code, args[0].isConstant else {
                throw WhereError(message: "prxmatch() needs a pattern literal such as '/abc/i' as its first argument", position: args[0].position)
            }
            let pattern: WherePattern
            switch WherePattern.parse(text(0)) {
            case .success(let p): pattern = p
            case .failure(var e): e.position = args[0].position; throw e
            }
            let s = try WhereBinder.string(args[1], for: "prxmatch()")
            return .number { Double(pattern.firstMatch(s($0))) }
        case "constant":
            guard case .string(let text) = args[0].code, args[0].isConstant, let v = constants[text(0).lowercased()] else {
                throw WhereError(message: "constant() takes one of \(constants.keys.sorted().map { "'\($0)'" }.joined(separator: ", "))", position: args[0].position)
            }
            return .number { _ in v }
        case "cmiss":   // missing values of any type: a missing number, a blank string
            let tests = args.map(WhereBinder.missingTest)
            return .number { row in Double(tests.reduce(0) { $0 + ($1(row) ? 1 : 0) }) }
        case "nmiss":
            let nums = try args.map { (a) throws(WhereError) -> @Sendable (Int) -> Double in try WhereBinder.number(a, for: "nmiss()") }
            return .number { row in Double(nums.reduce(0) { $0 + ($1(row).isNaN ? 1 : 0) }) }
        case "n":   // SAS's N: the numeric arguments that are not missing
            let nums = try args.map { (a) throws(WhereError) -> @Sendable (Int) -> Double in try WhereBinder.number(a, for: "n()") }
            return .number { row in Double(nums.reduce(0) { $0 + ($1(row).isNaN ? 0 : 1) }) }
        case "inputc": return try inputc(args)
        case "coalescec":
            let parts = try args.map { (a) throws(WhereError) -> @Sendable (Int) -> String in try WhereBinder.string(a, for: "coalescec()") }
            return .string { row in parts.lazy.map { $0(row) }.first { !$0.allSatisfy { $0 == " " } } ?? "" }
        default:
            var nums: [@Sendable (Int) -> Double] = []
            for a in args { nums.append(try WhereBinder.number(a, for: "\(key)()")) }
            return .number(sasNumeric(key, nums))
        }
    }

    /// inputc(s, 'informat'): s read with a character informat — `$w.` (the first w characters, leading
    /// blanks removed), `$CHARw.` (the first w, as they are), `$.`; a bare `w.` reads as `$w.` (DLPy's
    /// object-detection tables send one, and CAS runs them). The informat is a string literal.
    private static func inputc(_ args: [WhereOperand]) throws(WhereError) -> WhereCompiled {
        let s = try WhereBinder.string(args[0], for: "inputc()")
        guard case .string(let fmtFn) = args[1].code, args[1].isConstant else {
            throw WhereError(message: "inputc() needs an informat literal such as '$8.' as its second argument", position: args[1].position)
        }
        let informat = fmtFn(0).uppercased().trimmingCharacters(in: .whitespaces)
        guard let m = informat.wholeMatch(of: /(\$CHAR|\$)?(\d{0,5})\./), (Int(m.2) ?? 1) >= 1, (Int(m.2) ?? 1) <= Limits.maxComputedString else {
            throw WhereError(message: "inputc(): informat '\(informat)' is not supported ($w., $CHARw. or w. with w from 1 to \(Limits.maxComputedString))",
                             position: args[1].position)
        }
        let width = Int(m.2), keepBlanks = m.1 == "$CHAR"
        return .string { row in
            let v = s(row)
            let cut = width.map { String(v.prefix($0)) } ?? v
            return keepBlanks ? cut : String(cut.drop { $0 == " " })
        }
    }

    private static func sasText(_ key: String, _ args: [WhereOperand]) throws(WhereError) -> WhereCompiled {
        let s = try WhereBinder.string(args[0], for: "\(key)()")
        switch key {
        case "lengthn": return .number { Double(WhereSemantics.trimTrailingBlanks(s($0)).count) }    // 0 for a blank string
        case "trimn": return .string { WhereSemantics.trimTrailingBlanks(s($0)) }
        case "propcase":
            return .string { row in
                var out = "", start = true
                for ch in s(row) {
                    out += start ? ch.uppercased() : ch.lowercased()
                    start = " /-(.\t".contains(ch)
                }
                return out
            }
        case "count", "find":
            let sub = try WhereBinder.string(args[1], for: "\(key)()")
            // find's optional modifiers ('i' ignores case, 't' trims trailing blanks) and start position
            var givenModifiers: (@Sendable (Int) -> String)?, givenStart: (@Sendable (Int) -> Double)?
            for a in args.dropFirst(2) {
                if case .string = a.code { givenModifiers = try WhereBinder.string(a, for: "find()") } else { givenStart = try WhereBinder.number(a, for: "find()") }
            }
            let (modifiers, start) = (givenModifiers, givenStart)
            return .number { row in
                let mods = modifiers?(row).lowercased() ?? ""
                func prepared(_ v: String) -> [Character] {
                    let t = mods.contains("t") ? WhereSemantics.trimTrailingBlanks(v) : v
                    return Array(mods.contains("i") ? t.lowercased() : t)
                }
                let hay = prepared(s(row)), needle = prepared(sub(row))
                let from = start.map { $0(row) } ?? 1
                guard !needle.isEmpty, needle.count <= hay.count, from.isFinite, from >= 1, from <= Double(hay.count) else { return 0 }
                var at = -1
                let n = WhereSemantics.Needle(needle).matches(in: hay, from: Int(from) - 1) { i in at = i; return key != "find" }   // SAS counts occurrences that do not overlap
                if key == "find" { return Double(at + 1) }
                return Double(n)
            }
        case "repeat":
            let n = try WhereBinder.number(args[1], for: "repeat()")
            return .string { row in
                let k = n(row), v = s(row)
                // SAS: the string and n more copies; the result is bounded like any computed string
                guard !v.isEmpty, k.isFinite, k >= 0, Double(v.count) * (k + 1) <= Double(Limits.maxComputedString) else { return "" }
                return String(repeating: v, count: Int(k) + 1)
            }
        case "compress":
            let chars: (@Sendable (Int) -> String)? = args.count == 2 ? try WhereBinder.string(args[1], for: "compress()") : nil
            return .string { row in
                let drop = Set(chars?(row) ?? " ")
                return String(s(row).filter { !drop.contains($0) })
            }
        default:  // notalnum, notalpha, notdigit, notspace: position of the first character that is not one, 0 if none
            let isOne: @Sendable (Character) -> Bool = switch key {
            case "notalnum": { $0.isASCII && ($0.isLetter || $0.isNumber) }
            case "notalpha": { $0.isASCII && $0.isLetter }
            case "notdigit": { $0.isASCII && $0.isNumber }
            default: { $0.isWhitespace }
            }
            return .number { row in Double((s(row).firstIndex { !isOne($0) }.map { s(row).distance(from: s(row).startIndex, to: $0) + 1 }) ?? 0) }
        }
    }

    private static func sasNumeric(_ key: String, _ a: [@Sendable (Int) -> Double]) -> @Sendable (Int) -> Double {
        let x = a[0]
        switch key {
        case "rounde":
            let unit: (@Sendable (Int) -> Double)? = a.count == 2 ? a[1] : nil
            return { row in
                let u: Double = unit?(row) ?? 1
                if u == 0 { return x(row) }    // SAS: a rounding unit of 0 leaves the value as it is
                if u.isNaN || u < 0 { return .nan }
                return (x(row) / u).rounded(.toNearestOrEven) * u
            }
        case "sign": return { let v: Double = x($0); return v.isNaN ? .nan : Double(v.sign == .minus && v != 0 ? -1 : (v == 0 ? 0 : 1)) }
        case "fact": return { let v = x($0); return v >= 0 && v <= 170 && v == v.rounded() ? finite(tgamma(v + 1)) : .nan }
        case "gamma": return { let v = x($0); return v <= 0 && v == v.rounded() ? .nan : finite(tgamma(v)) }
        case "lgamma": return { let v = x($0); return v > 0 ? finite(Foundation.lgamma(v)) : .nan }
        case "erf": return { Foundation.erf(x($0)) }
        case "erfc": return { Foundation.erfc(x($0)) }
        case "log10": return { let v = x($0); return v > 0 ? Foundation.log10(v) : .nan }
        case "log2": return { let v = x($0); return v > 0 ? Foundation.log2(v) : .nan }
        case "modz": let d = a[1]; return { row in let y = d(row); return y == 0 ? .nan : x(row).truncatingRemainder(dividingBy: y) }
        case "gcd", "lcm":
            return { row in
                var acc: Int64?
                for f in a {
                    let v = f(row)
                    guard v.isFinite, v == v.rounded(), abs(v) < 9e15 else { return .nan }
                    let n = Int64(abs(v))
                    guard let prev = acc else { acc = n; continue }
                    let g = gcd(prev, n)
                    if key == "gcd" { acc = g } else {
                        guard g != 0 else { acc = 0; continue }
                        let (m, overflow) = (prev / g).multipliedReportingOverflow(by: n)
                        guard !overflow, m < 9_007_199_254_740_992 else { return .nan }
                        acc = m
                    }
                }
                return Double(acc ?? 0)
            }
        case "coalesce": return { row in a.lazy.map { $0(row) }.first { !$0.isNaN } ?? .nan }
        case "beta", "logbeta":
            let b = a[1]
            return { row in
                let (p, q) = (x(row), b(row))
                guard p > 0, q > 0 else { return .nan }
                let l = Foundation.lgamma(p) + Foundation.lgamma(q) - Foundation.lgamma(p + q)
                return key == "beta" ? finite(Foundation.exp(l)) : finite(l)
            }
        case "digamma": return { polygamma(x($0), order: 0) }
        case "trigamma": return { polygamma(x($0), order: 1) }
        case "choosen":    // the n-th of the values after n (missing when there is no n-th)
            return { row in
                let n = x(row)
                guard n.isFinite, n >= 1, n < Double(a.count) else { return .nan }
                return a[Int(n)](row)
            }
        case "day", "month", "year", "qtr", "weekday":
            return { row in
                let d = x(row)
                guard d.isFinite, abs(d) < 1e8 else { return .nan }
                let (y, m, dd) = civil(Int(d.rounded(.down)) - 3653)
                switch key {
                case "day": return Double(dd)
                case "month": return Double(m)
                case "year": return Double(y)
                case "qtr": return Double((m - 1) / 3 + 1)
                default: return Double(((Int(d.rounded(.down)) % 7 + 7) % 7 + 5) % 7 + 1)    // 1960-01-01 was a Friday (6); 1 = Sunday
                }
            }
        case "mdy":
            let (dayF, yearF) = (a[1], a[2])
            return { row in
                let m = x(row), d = dayF(row), y = yearF(row)
                guard [m, d, y].allSatisfy({ $0.isFinite && $0 == $0.rounded() }), (1...12).contains(m), (1...31).contains(d), abs(y) < 100_000 else { return .nan }
                let days = daysFromCivil(Int(y), Int(m), Int(d))
                guard civil(days) == (Int(y), Int(m), Int(d)) else { return .nan }    // 31 February and such
                return Double(days + 3653)
            }
        case "datepart": return { let v = x($0); return v.isFinite ? (v / 86_400).rounded(.down) : .nan }
        case "timepart": return { let v = x($0); return v.isFinite ? v - (v / 86_400).rounded(.down) * 86_400 : .nan }
        case "hour": return { let v = x($0); return v.isFinite ? ((v / 3600).rounded(.down)).truncatingRemainder(dividingBy: 24) : .nan }
        case "minute": return { let v = x($0); return v.isFinite ? ((v / 60).rounded(.down)).truncatingRemainder(dividingBy: 60) : .nan }
        default: return { let v = x($0); return v.isFinite ? v - (v / 60).rounded(.down) * 60 : .nan }  // second
        }
    }

    private static func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }

    /// SAS's CONSTANT names (the numeric ones that do not depend on the machine's integer sizes).
    static let constants: [String: Double] = [
        "pi": Double.pi, "e": M_E, "euler": 0.577_215_664_901_532_9, "exactint": 9_007_199_254_740_992, "big": Double.greatestFiniteMagnitude,
        "small": Double.leastNormalMagnitude, "maceps": Double.ulpOfOne, "logbig": Foundation.log(Double.greatestFiniteMagnitude),
        "logsmall": Foundation.log(Double.leastNormalMagnitude),
    ]

    /// ψ(x) (order 0) or ψ′(x) (order 1): the recurrence up to x ≥ 6, then the asymptotic series; missing at 0 and the negative integers.
    static func polygamma(_ x0: Double, order: Int) -> Double {
        guard x0.isFinite, !(x0 <= 0 && x0 == x0.rounded()) else { return .nan }
        if x0 < 0 {   // reflection: ψ(1−x) − ψ(x) = π cot(πx);  ψ′(1−x) + ψ′(x) = π² / sin²(πx)
            let s = Foundation.sin(Double.pi * x0)
            return order == 0 ? polygamma(1 - x0, order: 0) - Double.pi * Foundation.cos(Double.pi * x0) / s
                              : -polygamma(1 - x0, order: 1) + Double.pi * Double.pi / (s * s)
        }
        var x = x0, acc = 0.0
        while x < 6 { acc += order == 0 ? -1 / x : 1 / (x * x); x += 1 }
        let inv = 1 / x, inv2 = inv * inv
        if order == 0 {
            return acc + Foundation.log(x) - 0.5 * inv - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132))))
        }
        return acc + inv + 0.5 * inv2 + inv * inv2 * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (1.0 / 42 - inv2 / 30)))
    }

    /// `v`, or missing when it overflowed.
    private static func finite(_ v: Double) -> Double { v.isFinite ? v : .nan }

    /// Year, month, day of a day number counted from 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The day number (from 1970-01-01) of a date (Howard Hinnant's days_from_civil).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
