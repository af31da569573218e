/// Percentile bootstrap interval of `statistic` over `xs`: `resamples` samples of size n drawn with replacement
/// (indices from `SplitMix64(seed:)`), and the α/2 and 1 − α/2 quantiles of the statistic over them, α = 1 −
/// confidence, interpolated linearly between order statistics (numpy's default "linear" method, which
/// `scipy.stats.bootstrap(method="percentile")` uses). The same seed gives the same interval.
public func bootstrapCI(
    _ xs: [Double], confidence: Double = 0.95, resamples: Int = 10_000, seed: UInt64,
    statistic: ([Double]) throws -> Double = mean
) throws -> Interval {
    let function = "bootstrapCI"
    guard !xs.isEmpty else { throw StatsError.tooFewValues(function: function, needed: 1, got: 0) }
    try checkConfidence(confidence, in: function)
    guard resamples >= 2 else {
        throw StatsError.invalidArgument(
            function: function, argument: "resamples", value: "\(resamples)", expected: "at least 2")
    }
    var rng = SplitMix64(seed: seed)
    var sample = [Double](repeating: 0, count: xs.count)
    var stats = [Double]()
    stats.reserveCapacity(resamples)
    for _ in 0..<resamples {
        for i in 0..<xs.count { sample[i] = xs[rng.next(below: xs.count)] }
        stats.append(try statistic(sample))
    }
    if let bad = stats.first(where: { $0.isNaN }) {
        throw StatsError.invalidArgument(
            function: function, argument: "statistic of a resample", value: "\(bad)", expected: "a number")
    }
    stats.sort()
    let alpha = (1 - confidence) / 2
    return Interval(low: linearQuantile(sorted: stats, alpha), high: linearQuantile(sorted: stats, 1 - alpha))
}

/// Mean of the paired differences a[i] − b[i] and its percentile bootstrap interval. Both samples are resampled with
/// the same indices, which is bootstrapping the differences themselves: the interval is `bootstrapCI` of a − b.
public func pairedDifferenceCI(
    _ a: [Double], _ b: [Double], confidence: Double = 0.95, resamples: Int = 10_000, seed: UInt64
) throws -> (meanDifference: Double, interval: Interval) {
    let function = "pairedDifferenceCI"
    guard a.count == b.count else { throw StatsError.lengthMismatch(function: function, a: a.count, b: b.count) }
    guard !a.isEmpty else { throw StatsError.tooFewValues(function: function, needed: 1, got: 0) }
    let d = zip(a, b).map { $0 - $1 }
    let interval = try bootstrapCI(d, confidence: confidence, resamples: resamples, seed: seed)
    return (try mean(d), interval)
}

/// The q-quantile of sorted values with linear interpolation between order statistics: h = (n − 1)·q
/// (Hyndman & Fan type 7, numpy's default).
func linearQuantile(sorted xs: [Double], _ q: Double) -> Double {
    let h = Double(xs.count - 1) * q
    let lo = Int(h.rounded(.down))
    let hi = min(lo + 1, xs.count - 1)
    let frac = h - Double(lo)
    return xs[lo] + (xs[hi] - xs[lo]) * frac
}
