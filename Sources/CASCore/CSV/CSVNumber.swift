/// Number parsing straight from CSV bytes (no String per cell on the fast path).
enum CSVNumber {
    /// Exact powers of ten as doubles (10^0 … 10^22 are all exactly representable).
    private static let powersOfTen: [Double] = (0...22).map { e in
        var p = 1.0
        for _ in 0..<e { p *= 10 }
        return p
    }

    @inline(__always) private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    @inline(__always) private static func digit(_ b: UInt8) -> UInt64? {
        b &- 0x30 < 10 ? UInt64(b &- 0x30) : nil
    }

    /// `start..<end` without surrounding blanks and tabs.
    @inline(__always)
    static func trimmed(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (Int, Int) {
        var s = start, e = end
        while s < e && isBlank(p[s]) { s += 1 }
        while e > s && isBlank(p[e - 1]) { e -= 1 }
        return (s, e)
    }

    /// Parses a decimal number (`-12`, `3.25`, `.5`, `1e-3`, surrounding blanks allowed).
    /// Returns NaN for an empty or blank cell or a lone `.` (SAS missing), nil when the text is not a number.
    static func double(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        let (s, e) = trimmed(p, start, end)
        if s == e || (e - s == 1 && p[s] == UInt8(ascii: ".")) { return .nan }
        var i = s
        var negative = false
        if p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
            negative = p[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0, significant = 0, exponent = 0, sawDigit = false, truncated = false
        while i < e, let d = digit(p[i]) {
            sawDigit = true
            if significant < 19 {
                mantissa = mantissa * 10 + d
                if mantissa != 0 { significant += 1 }
            } else {
                exponent += 1
                truncated = truncated || d != 0
            }
            i += 1
        }
        if i < e && p[i] == UInt8(ascii: ".") {
            i += 1
            while i < e, let d = digit(p[i]) {
                sawDigit = true
                if significant < 19 {
                    mantissa = mantissa * 10 + d
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                } else {
                    truncated = truncated || d != 0
                }
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < e && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < e && (p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+")) {
                expNegative = p[i] == UInt8(ascii: "-")
                i += 1
            }
            var value = 0, sawExpDigit = false
            while i < e, let d = digit(p[i]) {
                sawExpDigit = true
                if value < 100_000 { value = value * 10 + Int(d) }
                i += 1
            }
            guard sawExpDigit else { return nil }
            exponent += expNegative ? -value : value
        }
        guard i == e else { return nil }
        // Clinger's fast path: both the mantissa and the power of ten are exact, so one operation rounds correctly.
        if !truncated && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            var v = Double(mantissa)
            v = exponent < 0 ? v / powersOfTen[-exponent] : v * powersOfTen[exponent]
            return negative ? -v : v
        }
        // Rare: long mantissas or large exponents; the standard library rounds correctly.
        guard let v = Double(String(decoding: UnsafeBufferPointer(rebasing: p[s..<e]), as: UTF8.self)), v.isFinite else {
            return nil  // out of Double's range: not usable as a number
        }
        return v
    }

    /// Parses an integer cell (`-42`, surrounding blanks allowed; `42.0` and `4.2e1` are accepted when integral).
    /// `.some(nil)` is a missing cell; nil means the text is not an integer in Int64 range.
    static func int64(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64?? {
        let (s, e) = trimmed(p, start, end)
        if s == e || (e - s == 1 && p[s] == UInt8(ascii: ".")) { return .some(nil) }
        var i = s
        var negative = false
        if p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
            negative = p[i] == UInt8(ascii: "-")
            i += 1
        }
        var magnitude: UInt64 = 0
        let digitsStart = i
        while i < e, let d = digit(p[i]) {
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            magnitude = m2
            i += 1
        }
        if i == e && i > digitsStart {
            if negative {
                return magnitude <= UInt64(Int64.max) + 1 ? .some(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)) : nil
            }
            return magnitude <= UInt64(Int64.max) ? .some(Int64(magnitude)) : nil
        }
        // Decimal or exponent form: accept when it is an exact integer.
        guard let d = double(p, start, end), !d.isNaN, d == d.rounded(), abs(d) < 9.223_372_036_854_775e18 else { return nil }
        return .some(Int64(d))
    }
}
