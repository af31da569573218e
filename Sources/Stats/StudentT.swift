import Foundation

/// Quantile of Student's t distribution with `df` degrees of freedom (df > 0, not necessarily whole).
///
/// For the lower half (the upper half by symmetry) it solves log F(t) = log p for u = asinh(−t) by Newton's method
/// kept inside a bisection bracket: in u the log tail is smooth near 0 and nearly linear far out (F ~ |t|^−df), so a
/// handful of steps reach full precision from a Cornish–Fisher or tail-asymptotic start. F comes from the regularized
/// incomplete beta function (continued fraction), whose convergence slows and rounding grows as df does; from
/// df = 1e4 on, the Cornish–Fisher expansion to 1/df⁴ (Abramowitz & Stegun 26.7.5) is used instead: its next term
/// is below 1e-15 there even at p = 1e-10.
public func tQuantile(_ p: Double, df: Double) throws -> Double {
    let function = "tQuantile"
    guard p >= 0, p <= 1 else {
        throw StatsError.invalidArgument(function: function, argument: "p", value: "\(p)", expected: "in [0, 1]")
    }
    guard df > 0 else {
        throw StatsError.invalidArgument(function: function, argument: "df", value: "\(df)", expected: "greater than 0")
    }
    if p == 0 { return -.infinity }
    if p == 1 { return .infinity }
    if p == 0.5 { return 0 }
    let q = p < 0.5 ? p : 1 - p  // exact for p ≥ 0.5
    let t = try lowerTailQuantile(q, df)
    return p < 0.5 ? t : -t
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
public func tCDF(_ t: Double, df: Double) throws -> Double {
    guard df > 0 else {
        throw StatsError.invalidArgument(function: "tCDF", argument: "df", value: "\(df)", expected: "greater than 0")
    }
    if t.isNaN { return .nan }
    return t <= 0 ? exp(logLowerTail(t, df)) : 1 - exp(logLowerTail(-t, df))
}

/// Student t interval for the mean of `xs`: x̄ ± t_{1 − α/2, n − 1} · s/√n (scipy `t.interval(confidence, n − 1,
/// loc=mean, scale=sem)`).
public func tInterval(_ xs: [Double], confidence: Double = 0.95) throws -> Interval {
    guard xs.count >= 2 else { throw StatsError.tooFewValues(function: "tInterval", needed: 2, got: xs.count) }
    try checkConfidence(confidence, in: "tInterval")
    let m = try mean(xs)
    let se = try standardError(xs)
    let h = try tQuantile(1 - (1 - confidence) / 2, df: Double(xs.count - 1)) * se
    return Interval(low: m - h, high: m + h)
}

// MARK: - Internals

/// t < 0 with P(T ≤ t) = q, for 0 < q < 0.5.
private func lowerTailQuantile(_ q: Double, _ nu: Double) throws -> Double {
    let z = try normalQuantile(q)
    if nu >= 1e4 { return cornishFisher(z, nu) }
    let logQ = log(q)
    // φ(u) = log F(−sinh u) − log q falls from log(0.5/q) > 0 at u = 0.
    func phi(_ u: Double) -> Double { logLowerTail(-sinh(u), nu) - logQ }

    // Start: Cornish–Fisher (good in the body, large df) or the tail asymptote F ≈ K·|t|^−df, whichever fits better.
    let k = exp(logGammaRatio(nu / 2, 0.5) + (nu - 1) / 2 * log(nu)) / Double.pi.squareRoot()
    var candidates = [asinh(-cornishFisher(z, nu)), asinh(exp((log(k) - logQ) / nu))]
    candidates = candidates.filter { $0.isFinite && $0 > 0 }
    var u = candidates.min(by: { abs(phi($0)) < abs(phi($1)) }) ?? 1

    // Bracket [lo, hi] with φ(lo) > 0 > φ(hi).
    var lo = 0.0
    var hi = u
    while phi(hi) > 0 {
        lo = hi
        hi = min(hi * 2 + 1, 745)
        if hi == 745 { break }
    }
    for _ in 0..<200 {
        let f = phi(u)
        if f == 0 { break }
        if f > 0 { lo = u } else { hi = u }
        let t = -sinh(u)
        // φ'(u) = −(pdf(t) / F(t)) · cosh u, the ratio taken in logs (both underflow far out).
        let slope = -exp(logDensity(t, nu) - logLowerTail(t, nu)) * cosh(u)
        var next = u - f / slope
        if !next.isFinite || next <= lo || next >= hi { next = 0.5 * (lo + hi) }
        if abs(next - u) <= 1e-15 * next { u = next; break }
        u = next
    }
    return -sinh(u)
}

/// Cornish–Fisher expansion of the t quantile in powers of 1/df, from the normal quantile z (A&S 26.7.5).
private func cornishFisher(_ z: Double, _ nu: Double) -> Double {
    let z2 = z * z
    let g1 = (z2 + 1) * z / 4
    let g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    let g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    let g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu
}

/// log of the t density.
private func logDensity(_ t: Double, _ nu: Double) -> Double {
    logGammaRatio(nu / 2, 0.5) - 0.5 * log(nu * Double.pi) - (nu + 1) / 2 * logOnePlusSquareOver(t, nu)
}

/// log(1 + t²/ν), also where t² overflows.
private func logOnePlusSquareOver(_ t: Double, _ nu: Double) -> Double {
    abs(t) < 1e150 ? log1p(t * t / nu) : 2 * log(abs(t)) - log(nu)
}

/// log P(T ≤ t) for t ≤ 0: F = ½·I_x(ν/2, ½) with x = ν/(ν + t²), y = 1 − x = t²/(ν + t²) (both formed directly).
func logLowerTail(_ t: Double, _ nu: Double) -> Double {
    if t == -.infinity { return -.infinity }
    let a = nu / 2, b = 0.5
    let logX = -logOnePlusSquareOver(t, nu)
    let x = exp(logX)
    let y = abs(t) < 1e150 ? t * t / (nu + t * t) : 1
    let logY = abs(t) < 1e150 ? log(y) : -x
    let logFront = a * logX + b * logY - (lgamma(b) - logGammaRatio(a, b))  // − log B(a, b)
    if x < (a + 1) / (a + b + 2) {
        return log(0.5) + logFront + log(betaContinuedFraction(a, b, x) / a)
    }
    let upper = exp(logFront) * betaContinuedFraction(b, a, y) / b  // I_y(½, ν/2) = 1 − I_x(ν/2, ½)
    return log(0.5) + log1p(-upper)
}

/// log Γ(a + b) − log Γ(a). For large a, two lgamma values of ~a·log a would cancel to ~b·log a and lose
/// log10(a·log a) digits (1e-10 at df = 1e5), so from a = 10 on the difference of Stirling series is taken instead.
private func logGammaRatio(_ a: Double, _ b: Double) -> Double {
    if a < 10 { return lgamma(a + b) - lgamma(a) }
    // log Γ(x) = (x − ½) log x − x + ½ log 2π + δ(x), δ(x) = Σ B₂ₖ / (2k(2k − 1) x^(2k−1)); eight terms leave < 1e-17
    // from x = 10 on.
    func delta(_ x: Double) -> Double {
        let r = 1 / (x * x)
        let c: [Double] = [1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680, 1.0 / 1188, -691.0 / 360360, 1.0 / 156,
                           -3617.0 / 122400]
        var sum = 0.0
        for k in c.indices.reversed() { sum = sum * r + c[k] }
        return sum / x
    }
    return b * log(a) + (a + b - 0.5) * log1p(b / a) - b + delta(a + b) - delta(a)
}

/// The continued fraction of the regularized incomplete beta function (modified Lentz), which converges fast for
/// x < (a + 1)/(a + b + 2): I_x(a, b) = x^a (1 − x)^b / (a·B(a, b)) · cf.
private func betaContinuedFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
    let tiny = 1e-300
    let qab = a + b, qap = a + 1, qam = a - 1
    var c = 1.0
    var d = 1 - qab * x / qap
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...20_000 {
        let m = Double(m), m2 = 2 * m
        var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        if abs(d) < tiny { d = tiny }
        c = 1 + aa / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        if abs(d) < tiny { d = tiny }
        c = 1 + aa / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        let step = d * c
        h *= step
        if abs(step - 1) <= 2.3e-16 { break }  // within one ulp of 1
    }
    return h
}
