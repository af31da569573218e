import Foundation

/// Arithmetic mean. Summed in order, with Kahan compensation so that long runs of similar values lose nothing.
public func mean(_ xs: [Double]) throws -> Double {
    guard !xs.isEmpty else { throw StatsError.tooFewValues(function: "mean", needed: 1, got: 0) }
    return compensatedSum(xs) / Double(xs.count)
}

/// Sample standard deviation, √(Σ(x − x̄)² / (n − 1)) (numpy `std(ddof=1)`), by the two-pass formula.
public func sampleStd(_ xs: [Double]) throws -> Double {
    guard xs.count >= 2 else { throw StatsError.tooFewValues(function: "sampleStd", needed: 2, got: xs.count) }
    let m = compensatedSum(xs) / Double(xs.count)
    var ss = 0.0
    var c = 0.0  // second pass: Σ(x − m) corrects the rounding of m
    for x in xs {
        let d = x - m
        ss += d * d
        c += d
    }
    let n = Double(xs.count)
    return ((ss - c * c / n) / (n - 1)).squareRoot()
}

/// Standard error of the mean, s / √n (scipy `sem`).
public func standardError(_ xs: [Double]) throws -> Double {
    guard xs.count >= 2 else { throw StatsError.tooFewValues(function: "standardError", needed: 2, got: xs.count) }
    return try sampleStd(xs) / Double(xs.count).squareRoot()
}

/// Kahan–Babuška (Neumaier) summation.
func compensatedSum(_ xs: [Double]) -> Double {
    var sum = 0.0
    var c = 0.0
    for x in xs {
        let t = sum + x
        if abs(sum) >= abs(x) { c += (sum - t) + x } else { c += (x - t) + sum }
        sum = t
    }
    return sum + c
}
