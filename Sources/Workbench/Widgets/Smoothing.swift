/// TensorBoard/W&B smoothing: an exponential moving average started at 0 and divided by (1 − wᵗ), so the first
/// points are not pulled toward 0. Non-finite inputs give NaN at their index and leave the state unchanged; `t`
/// counts finite inputs only. `weight` is clamped to 0...0.9999 (1 would divide by zero); 0 returns the input.
public func debiasedEMA(_ values: [Double], weight: Double) -> [Double] {
    let w = min(max(weight.isNaN ? 0 : weight, 0), 0.9999)
    if w == 0 { return values }
    var state = 0.0, decay = 1.0
    return values.map { x in
        guard x.isFinite else { return .nan }
        state = w * state + (1 - w) * x
        decay *= w
        return state / (1 - decay)
    }
}

/// A y-axis range that ignores outliers: quantiles over the finite values (so one spike does not squash the curve),
/// widened by `padding` × span on each side. Under 20 values every point counts (min/max); all-equal values get a
/// small range around them; nil when nothing is finite.
public func robustRange(_ values: [Double], lowQuantile: Double = 0.01, highQuantile: Double = 0.99,
                        padding: Double = 0.05) -> ClosedRange<Double>? {
    let finite = values.filter(\.isFinite)
    guard let first = finite.first else { return nil }
    var low = first, high = first
    if finite.count < 20 {
        for v in finite { low = min(low, v); high = max(high, v) }
    } else {
        let sorted = finite.sorted()
        let last = Double(sorted.count - 1)
        // Nearest rank rounded toward the middle: interpolating would let a lone extreme value leak in.
        let lowIndex = Int((min(max(lowQuantile, 0), 1) * last).rounded(.up))
        let highIndex = Int((min(max(highQuantile, 0), 1) * last).rounded(.down))
        low = sorted[min(lowIndex, sorted.count - 1)]
        high = sorted[max(highIndex, 0)]
        if low > high { swap(&low, &high) }
    }
    let span = high - low
    if span <= abs(high) * 1e-12 {
        let half = low == 0 ? 1 : abs(low) * 0.1
        return (low - half)...(high + half)
    }
    let pad = span * max(padding, 0)
    return (low - pad)...(high + pad)
}
