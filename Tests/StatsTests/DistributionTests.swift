import Foundation
import Stats
import Testing

/// Quantiles and intervals against scipy (Tests/Fixtures/stats/expected.json).
@Suite struct DistributionTests {
    let ref = Reference.shared

    /// The brief asks for 1e-9; AS 241 is good to ~1e-16 relative, and scipy's ndtri (Cephes) to about the same, so
    /// 1e-13 (scaled by max(1, |x|)) leaves room only for rounding.
    @Test func normalQuantileMatchesScipy() throws {
        var worst = 0.0
        for c in ref.normal_quantiles {
            let got = try normalQuantile(c.p)
            let e = scaledError(got, c.x)
            worst = max(worst, e)
            #expect(e <= 1e-13, "normalQuantile(\(c.p)) = \(got), scipy \(c.x)")
        }
        print("[Stats] normalQuantile: \(ref.normal_quantiles.count) points, max scaled error vs scipy \(worst)")
    }

    @Test func normalQuantileEdges() throws {
        #expect(try normalQuantile(0) == -.infinity)
        #expect(try normalQuantile(1) == .infinity)
        #expect(try normalQuantile(0.5) == 0)
        #expect(abs(try normalQuantile(0.975) - 1.959963984540054) < 1e-15)
        for p in [0x1p-30, 0.0078125, 0.25, 0.375] {  // 1 − p exact
            #expect(try normalQuantile(p) == -(try normalQuantile(1 - p)))
            #expect(abs(normalCDF(try normalQuantile(p)) - p) <= 1e-14 * max(p, 1e-3))
        }
        #expect(throws: StatsError.self) { try normalQuantile(-0.1) }
        #expect(throws: StatsError.self) { try normalQuantile(.nan) }
    }

    /// Against the exact quantile (mpmath, 40 digits) to 1e-13 scaled by max(1, |t|) — at df = 0.5, p = 1e-10,
    /// t ≈ −1e19 and only the relative error means anything — and against scipy's t.ppf to the 1e-6 the brief asks
    /// for: scipy is itself off by 1e-10 at p = 0.499999, df = 4, so a tighter scipy bound would test scipy.
    @Test func tQuantileMatchesMpmathAndScipy() throws {
        var worstExact = 0.0, worstScipy = 0.0
        var worstAt = ""
        for c in ref.t_quantiles {
            let got = try tQuantile(c.p, df: c.df)
            let e = scaledError(got, c.t_mpmath)
            if e > worstExact { worstExact = e; worstAt = "p \(c.p), df \(c.df)" }
            worstScipy = max(worstScipy, scaledError(got, c.t))
            #expect(e <= 1e-13, "tQuantile(\(c.p), df: \(c.df)) = \(got), exact \(c.t_mpmath)")
            #expect(scaledError(got, c.t) <= 1e-6, "tQuantile(\(c.p), df: \(c.df)) = \(got), scipy \(c.t)")
        }
        print("[Stats] tQuantile: \(ref.t_quantiles.count) points, max scaled error vs exact \(worstExact) (\(worstAt)), "
              + "vs scipy \(worstScipy)")
    }

    @Test func tQuantileClosedForms() throws {
        // df 1 is Cauchy: tan(π(p − ½)); df 2: (2p − 1)/√(2p(1 − p)).
        for p in [1e-9, 0.01, 0.2, 0.45, 0.8, 0.975] {
            let cauchy = p < 0.5 ? -1 / tan(Double.pi * p) : 1 / tan(Double.pi * (1 - p))  // no pole near ½π
            #expect(scaledError(try tQuantile(p, df: 1), cauchy) < 1e-12, "df 1, p \(p)")
            let two = (2 * p - 1) / (2 * p * (1 - p)).squareRoot()
            #expect(scaledError(try tQuantile(p, df: 2), two) < 1e-12, "df 2, p \(p)")
            #expect(abs(try tCDF(try tQuantile(p, df: 7.5), df: 7.5) - p) < 1e-14)
        }
        #expect(try tQuantile(0.5, df: 3) == 0)
        #expect(try tQuantile(1, df: 3) == .infinity)
        #expect(throws: StatsError.self) { try tQuantile(0.9, df: 0) }
        #expect(throws: StatsError.self) { try tQuantile(1.5, df: 3) }
    }

    /// scipy's t.interval(conf, n − 1, loc = mean, scale = sem): the same formula, so rounding only (1e-12).
    @Test func tIntervalMatchesScipy() throws {
        for c in ref.t_intervals {
            let got = try tInterval(c.xs, confidence: c.confidence)
            let scale = max(1, abs(c.low), abs(c.high))
            #expect(abs(got.low - c.low) <= 1e-12 * scale && abs(got.high - c.high) <= 1e-12 * scale,
                    "tInterval(n = \(c.xs.count), \(c.confidence)) = \(got), scipy [\(c.low), \(c.high)]")
        }
        #expect(throws: StatsError.tooFewValues(function: "tInterval", needed: 2, got: 1)) { try tInterval([1]) }
        #expect(throws: StatsError.self) { try tInterval([1, 2], confidence: 1) }
    }

    /// Exact (rational-arithmetic) mean, std(ddof=1) and sem, to 1e-13 relative; one data set sits near 1e9 with a
    /// spread of 1e-3, where a one-pass variance cancels (numpy's two-pass std is off by 1.5e-9 relative there).
    @Test func descriptiveMatchesExactValues() throws {
        for c in ref.descriptive {
            #expect(abs(try mean(c.xs) - c.mean) <= 1e-15 * max(1, abs(c.mean)), "mean of \(c.xs.count)")
            let std = try sampleStd(c.xs)
            #expect(abs(std - c.std) <= 1e-13 * c.std, "std of \(c.xs.count): \(std) vs \(c.std)")
            #expect(abs(try standardError(c.xs) - c.sem) <= 1e-13 * c.sem, "sem of \(c.xs.count)")
        }
        #expect(throws: StatsError.tooFewValues(function: "mean", needed: 1, got: 0)) { try mean([]) }
        #expect(throws: StatsError.tooFewValues(function: "sampleStd", needed: 2, got: 1)) { try sampleStd([3]) }
    }

    /// The closed form, as statsmodels / scipy binomtest compute it (make_expected.py cross-checks the two): 1e-13.
    @Test func wilsonMatchesScipy() throws {
        for c in ref.wilson {
            let got = try wilsonInterval(successes: c.successes, trials: c.trials, confidence: c.confidence)
            #expect(abs(got.low - c.low) <= 1e-13 && abs(got.high - c.high) <= 1e-13,
                    "wilson(\(c.successes)/\(c.trials), \(c.confidence)) = \(got), scipy [\(c.low), \(c.high)]")
            if c.successes == 0 { #expect(got.low == 0) }
            if c.successes == c.trials { #expect(got.high == 1) }
        }
        #expect(throws: StatsError.invalidArgument(function: "wilsonInterval", argument: "trials", value: "0",
                                                   expected: "at least 1")) {
            try wilsonInterval(successes: 0, trials: 0)
        }
        #expect(throws: StatsError.self) { try wilsonInterval(successes: 5, trials: 4) }
        #expect(throws: StatsError.self) { try wilsonInterval(successes: -1, trials: 4) }
    }

    /// The Codex paper's numpy estimator evaluates the same product; 1e-14.
    @Test func passAtKMatchesCodexEstimator() throws {
        for c in ref.pass_at_k {
            let got = try passAtK(n: c.n, c: c.c, k: c.k)
            #expect(abs(got - c.value) <= 1e-14, "passAtK(n: \(c.n), c: \(c.c), k: \(c.k)) = \(got), numpy \(c.value)")
        }
        for c in ref.mean_pass_at_k {
            let got = try meanPassAtK(c.problems.map { (n: $0[0], c: $0[1]) }, k: c.k)
            #expect(abs(got - c.value) <= 1e-14, "meanPassAtK(k: \(c.k)) = \(got), numpy \(c.value)")
        }
        // pass@1 is the pass rate.
        #expect(abs(try passAtK(n: 7, c: 3, k: 1) - 3.0 / 7) < 1e-15)
        #expect(throws: StatsError.invalidArgument(function: "passAtK", argument: "k", value: "11",
                                                   expected: "in 1...10 (n = 10)")) {
            try passAtK(n: 10, c: 3, k: 11)
        }
        #expect(throws: StatsError.self) { try passAtK(n: 10, c: 11, k: 1) }
        #expect(throws: StatsError.self) { try passAtK(n: 0, c: 0, k: 1) }
        #expect(throws: StatsError.self) { try passAtK(n: 5, c: 1, k: 0) }
        #expect(throws: StatsError.self) { try meanPassAtK([], k: 1) }
    }

    @Test func errorsReadAsOneLine() {
        let e = StatsError.invalidArgument(function: "passAtK", argument: "k", value: "11", expected: "in 1...10 (n = 10)")
        #expect(e.description == "passAtK: k is 11, expected in 1...10 (n = 10)")
        #expect(StatsError.lengthMismatch(function: "pairedDifferenceCI", a: 3, b: 4).description
                == "pairedDifferenceCI: paired samples must have the same length, got 3 and 4")
    }
}
