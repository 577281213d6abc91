/// Numbers with a fixed number of decimals, for log lines and pictures (no Foundation formatting needed).
public enum Fixed {
    /// `x` with `digits` decimals (0…15); numbers too large for that (|x| ≥ 1e15, or that many digits)
    /// are written as Swift writes them (`1e+30`), missing values as `.`, infinities as `inf`/`-inf`.
    public static func text(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "." : (x > 0 ? "inf" : "-inf") }
        let digits = min(max(digits, 0), 15)
        var p = 1.0
        for _ in 0..<digits { p *= 10 }
        let scaled = (abs(x) * p).rounded()
        guard abs(x) < 1e15, scaled < 9e18 else { return String(x) }
        let neg = x < 0
        let ip = Int64(scaled / p)
        var frac = String(Int64(scaled - Double(ip) * p))
        while frac.count < digits { frac = "0" + frac }
        return (neg && scaled != 0 ? "-" : "") + String(ip) + (digits > 0 ? "." + frac : "")
    }
}
