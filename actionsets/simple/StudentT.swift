import Foundation

/// The two-sided tail probability of Student's t distribution, `P(|T| ≥ |t|)` with `df` degrees of
/// freedom, for `simple.summary`'s ProbT: `I_x(df/2, 1/2)` with `x = df / (df + t²)`, the regularized
/// incomplete beta function by its continued fraction (Lentz's method, as in Numerical Recipes §6.4).
enum StudentT {
    static func twoSidedP(_ t: Double, df: Double) -> Double {
        guard t.isFinite, df > 0 else { return t.isInfinite && df > 0 ? 0 : .nan }
        return incompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
    }

    /// `I_x(a, b)`, the regularized incomplete beta function, for 0 ≤ x ≤ 1.
    static func incompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let lnFront: Double = a * log(x) + b * log(1 - x) - lnBeta
        // the continued fraction converges fast for x < (a+1)/(a+b+2); otherwise use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
        if x < (a + 1) / (a + b + 2) { return exp(lnFront) * fraction(x, a, b) / a }
        return 1 - exp(lnFront) * fraction(1 - x, b, a) / b
    }

    /// The continued fraction of the incomplete beta function (modified Lentz).
    static func fraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var h = d
        for m in 1...300 {
            let m = Double(m)
            let even: Double = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            let odd: Double = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            for num in [even, odd] {
                d = 1 + num * d
                d = 1 / (abs(d) < tiny ? tiny : d)
                c = 1 + num / c
                if abs(c) < tiny { c = tiny }
                h *= d * c
            }
            if abs(d * c - 1) < 1e-15 { break }
        }
        return h
    }
}
