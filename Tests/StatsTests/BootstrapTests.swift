import Foundation
@testable import Stats
import Testing

@Suite struct BootstrapTests {
    /// Vigna's reference splitmix64.c, seed 1234567 (also checked with a Python port).
    @Test func splitMixKnownAnswer() {
        var rng = SplitMix64(seed: 1_234_567)
        let want: [UInt64] = [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                              4_593_380_528_125_082_431, 16_408_922_859_458_223_821]
        #expect((0..<5).map { _ in rng.next() } == want)
        var r = SplitMix64(seed: 9)
        for bound in [1, 2, 3, 7, 1000, Int.max] {
            for _ in 0..<100 { #expect((0..<bound).contains(r.next(below: bound))) }
        }
    }

    /// The same algorithm written in Python (make_expected.py: SplitMix64, Lemire's bounded draw, exactly rounded
    /// means, linear quantiles) gives the same interval: the stream and the quantile rule are pinned, not just
    /// self-consistent. 1e-14 relative leaves room for a last-bit difference in a resample's mean.
    @Test func matchesThePythonPortBitForBit() throws {
        let g = Reference.shared.bootstrap_port
        let got = try bootstrapCI(g.xs, confidence: g.confidence, resamples: g.resamples, seed: g.seed)
        #expect(abs(got.low - g.low) <= 1e-14 * abs(g.low) && abs(got.high - g.high) <= 1e-14 * abs(g.high),
                "ours \(got), Python port [\(g.low), \(g.high)]")
    }

    @Test func sameSeedSameInterval() throws {
        let xs = Reference.shared.bootstrap.xs
        let a = try bootstrapCI(xs, seed: 42)
        let b = try bootstrapCI(xs, seed: 42)
        let c = try bootstrapCI(xs, seed: 43)
        #expect(a == b)
        #expect(a != c)
        #expect(a.contains(try mean(xs)))
    }

    /// Against scipy.stats.bootstrap(method="percentile", 10 000 resamples) averaged over 40 seeds. Each of our ends
    /// is one Monte-Carlo draw with the spread of one scipy run (sd, measured over the 40), and the reference mean
    /// has sd/√40, so the difference has sd·√(1 + 1/40); 4 of those makes a false failure a 1-in-15 000 event, and
    /// the seed is fixed, so the test cannot flake.
    @Test func agreesWithScipyWithinMonteCarloError() throws {
        let r = Reference.shared.bootstrap
        let got = try bootstrapCI(r.xs, confidence: r.confidence, resamples: r.resamples, seed: 2024)
        let k = 4 * (1 + 1 / Double(r.runs)).squareRoot()
        print("[Stats] bootstrap percentile CI \(got) vs scipy mean [\(r.low_mean), \(r.high_mean)] "
              + "(Monte-Carlo sd \(r.low_sd), \(r.high_sd))")
        #expect(abs(got.low - r.low_mean) <= k * r.low_sd)
        #expect(abs(got.high - r.high_mean) <= k * r.high_sd)
    }

    /// 400 datasets of n = 30 from N(5, 2²): the 95 % percentile interval of the mean should hold 5 in about 93–95 %
    /// of them (the percentile bootstrap is a little narrow at n = 30). Asserted loosely, 90–99 %: the datasets and
    /// seeds are fixed, and 400 trials of a 94 % event stay in that range but for a ~1e-4 chance.
    @Test func coverageOnNormalData() throws {
        var rng = SplitMix64(seed: 1)
        var covered = 0
        let datasets = 400
        for d in 0..<datasets {
            let xs = (0..<30).map { _ in 5 + 2 * (try! normalQuantile(max(rng.nextUnit(), 1e-300))) }
            if try bootstrapCI(xs, confidence: 0.95, resamples: 2_000, seed: UInt64(d)).contains(5) { covered += 1 }
        }
        let coverage = Double(covered) / Double(datasets)
        print("[Stats] bootstrap coverage: \(covered)/\(datasets) = \(coverage) (nominal 0.95)")
        #expect(coverage >= 0.90 && coverage <= 0.99)
    }

    @Test func anyStatistic() throws {
        let xs: [Double] = (1...20).map(Double.init) + [1000]
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
        let ci = try bootstrapCI(xs, resamples: 2_000, seed: 5, statistic: median)
        #expect(ci.low >= 1 && ci.high <= 20, "a median interval ignores the outlier: \(ci)")
        #expect(try bootstrapCI(xs, resamples: 2_000, seed: 5).high > 60, "the mean's does not")
        // A constant sample has a degenerate interval.
        #expect(try bootstrapCI([3, 3, 3], seed: 1) == Interval(low: 3, high: 3))
        #expect(throws: StatsError.tooFewValues(function: "bootstrapCI", needed: 1, got: 0)) {
            try bootstrapCI([], seed: 1)
        }
        #expect(throws: StatsError.self) { try bootstrapCI(xs, confidence: 0, seed: 1) }
        #expect(throws: StatsError.self) { try bootstrapCI(xs, resamples: 1, seed: 1) }
    }

    @Test func pairedDifference() throws {
        var rng = SplitMix64(seed: 8)
        // b is a with a shift of 0.3 and small per-pair noise: the paired interval is tight around 0.3 although a
        // itself varies a lot.
        let a = (0..<50).map { _ in 10 * rng.nextUnit() }
        let b = a.map { $0 - 0.3 + 0.1 * (rng.nextUnit() - 0.5) }
        let r = try pairedDifferenceCI(a, b, seed: 3)
        #expect(abs(r.meanDifference - 0.3) < 0.02)
        #expect(r.interval.contains(r.meanDifference))
        #expect(r.interval.low > 0.28 && r.interval.high < 0.32, "\(r.interval)")
        // Same resample indices for both samples = the bootstrap of the differences.
        #expect(r.interval == (try bootstrapCI(zip(a, b).map { $0 - $1 }, seed: 3)))
        #expect(throws: StatsError.lengthMismatch(function: "pairedDifferenceCI", a: 50, b: 49)) {
            try pairedDifferenceCI(a, Array(b.dropLast()), seed: 1)
        }
    }
}
