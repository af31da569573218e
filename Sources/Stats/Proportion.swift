/// Wilson score interval for a proportion (no continuity correction; statsmodels `proportion_confint(method=
/// "wilson")`, scipy `binomtest(...).proportion_ci(method="wilson")`):
/// (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n), z = Φ⁻¹(1 − α/2). With 0 successes the low end is exactly
/// 0, with n successes the high end is exactly 1.
public func wilsonInterval(successes: Int, trials: Int, confidence: Double = 0.95) throws -> Interval {
    let function = "wilsonInterval"
    guard trials > 0 else {
        throw StatsError.invalidArgument(function: function, argument: "trials", value: "\(trials)", expected: "at least 1")
    }
    guard successes >= 0, successes <= trials else {
        throw StatsError.invalidArgument(
            function: function, argument: "successes", value: "\(successes)", expected: "in 0...\(trials)")
    }
    try checkConfidence(confidence, in: function)
    let z = try normalQuantile(1 - (1 - confidence) / 2)
    let n = Double(trials)
    let p = Double(successes) / n
    let z2 = z * z
    let denominator = 1 + z2 / n
    let center = (p + z2 / (2 * n)) / denominator
    let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / denominator
    let low = successes == 0 ? 0 : max(0, center - half)
    let high = successes == trials ? 1 : min(1, center + half)
    return Interval(low: low, high: high)
}
