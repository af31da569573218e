#!/usr/bin/env python3
"""Writes expected.json, the reference values Tests/StatsTests compares the Stats module with.

    python3 Tests/Fixtures/stats/make_expected.py

Uses the system python's numpy, scipy and mpmath (no venv needed); records their versions. Sources:
  normal_quantiles   scipy.stats.norm.ppf (Cephes ndtri)
  t_quantiles        scipy.stats.t.ppf, and the exact value from mpmath (40 digits)
  t_intervals        scipy.stats.t.interval(confidence, n - 1, loc=mean, scale=scipy.stats.sem)
  descriptive        mean, std(ddof=1), sem in exact rational arithmetic (numpy's std is off by ~1.5e-9 relative on
                     the data set near 1e9; asserted within 1e-8 of numpy/scipy)
  wilson             the closed form below, checked against scipy.stats.binomtest(...).proportion_ci("wilson")
                     (statsmodels is not installed here)
  pass_at_k          the numpy estimator of Chen et al. 2021 (Codex paper), copied below
  bootstrap          scipy.stats.bootstrap(method="percentile", n_resamples=10000) on one fixed dataset, repeated
                     with 40 seeds: the mean of each end and its standard deviation (the Monte-Carlo error of one run)
  bootstrap_port     Lathe's own bootstrapCI (SplitMix64, Lemire's bounded draw, linear quantiles) ported to Python,
                     seed 42, on the same dataset: pins the random stream across implementations
"""

import json
import math
import os
from fractions import Fraction

import mpmath as mp
import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))


def pass_at_k(n, c, k):
    """Codex paper, Figure 3: 1 - comb(n - c, k) / comb(n, k), numerically stable."""
    if n - c < k:
        return 1.0
    return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))


def exact_variance(xs):
    n = len(xs)
    m = sum(Fraction(x) for x in xs) / n
    return m, sum((Fraction(x) - m) ** 2 for x in xs) / (n - 1)


def exact_mean_std(xs):
    """Rational arithmetic on the doubles as given, rounded once at the end (sqrt of a correctly rounded value)."""
    m, v = exact_variance(xs)
    return float(m), sqrt_fraction(v)


def exact_sem(xs):
    _, v = exact_variance(xs)
    return sqrt_fraction(v / len(xs))


def sqrt_fraction(v):
    """sqrt of a Fraction to double precision: integer square root with 80 spare bits."""
    scale = 2 ** 200
    return math.isqrt(v.numerator * scale * scale // v.denominator) / scale


def t_quantile_mpmath(p, df):
    """The t quantile to 40 digits: Newton on the CDF (regularized incomplete beta) from scipy's value. scipy's
    t.ppf is good to ~1e-12 relative almost everywhere but not near the median: at p = 0.499999, df = 4 it is off by
    4e-5 relative (1e-10 absolute)."""
    if p == 0.5:
        return 0.0
    mp.mp.dps = 40
    nu = mp.mpf(df)
    q = mp.mpf(min(p, 1 - p))  # 1 - p is exact in binary for p >= 0.5

    def lower_tail(t):  # t <= 0
        return mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + t * t), regularized=True) / 2

    guess = -abs(mp.mpf(stats.t.ppf(float(q), df)))
    t = mp.findroot(lambda t: mp.log(lower_tail(t)) - mp.log(q), guess, tol=mp.mpf(10) ** -36)
    return float(t if p < 0.5 else -t)


MASK = (1 << 64) - 1


class SplitMix64:
    """Sources/Stats/SplitMix64.swift, line for line."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        """Lemire's multiply-shift with rejection."""
        m = self.next() * n
        if m & MASK < n:
            threshold = (2 ** 64 - n) % n
            while m & MASK < threshold:
                m = self.next() * n
        return m >> 64


def bootstrap_port(xs, confidence, resamples, seed):
    """Sources/Stats/Bootstrap.swift's bootstrapCI with the mean, in Python (means exactly rounded by fsum)."""
    rng = SplitMix64(seed)
    n = len(xs)
    stats_ = sorted(math.fsum(xs[rng.below(n)] for _ in range(n)) / n for _ in range(resamples))

    def quantile(q):
        h = (len(stats_) - 1) * q
        lo = math.floor(h)
        hi = min(lo + 1, len(stats_) - 1)
        return stats_[lo] + (stats_[hi] - stats_[lo]) * (h - lo)

    alpha = (1 - confidence) / 2
    return quantile(alpha), quantile(1 - alpha)


def wilson(s, n, confidence):
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    p = s / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if s == 0 else max(0.0, center - half)
    high = 1.0 if s == n else min(1.0, center + half)
    return low, high


def main():
    rng = np.random.default_rng(20240611)
    out = {"numpy": np.__version__, "scipy": scipy.__version__, "mpmath": mp.__version__}

    ps = [1e-300, 1e-100, 1e-20, 1e-10, 1e-6, 1e-3, 0.01, 0.025, 0.05, 0.074, 0.075, 0.076, 0.1, 0.2, 0.3, 0.4,
          0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 0.924, 0.925, 0.926, 0.95, 0.975, 0.99, 0.995, 0.999, 1 - 1e-6,
          1 - 1e-10, 1 - 2 ** -50]
    ps += [float(x) for x in rng.uniform(0, 1, 40)]
    out["normal_quantiles"] = [{"p": p, "x": float(stats.norm.ppf(p))} for p in ps]

    dfs = [0.5, 1, 1.5, 2, 3, 4, 5, 7, 9, 10, 15, 19, 20.5, 21, 29, 30, 49, 50, 99, 100, 300, 1000, 2000, 5000, 9999,
           10_000, 99_999, 100_000, 1e6, 1e9]
    tps = [1e-10, 1e-6, 1e-3, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.49, 0.499999, 0.5, 0.51, 0.6, 0.75, 0.9,
           0.95, 0.975, 0.99, 0.995, 0.999, 1 - 1e-6]
    out["t_quantiles"] = [{"p": p, "df": df, "t": float(stats.t.ppf(p, df)), "t_mpmath": t_quantile_mpmath(p, df)}
                          for df in dfs for p in tps]

    datasets = [
        [float(x) for x in rng.normal(10, 2, 5)],
        [float(x) for x in rng.normal(0, 1, 30)],
        [float(x) for x in rng.exponential(3, 100)],
        [1.0, 2.0],
        [0.5, 0.5, 0.5, 0.75],
        [1e9 + float(x) for x in rng.normal(0, 1e-3, 12)],  # large offset: the two-pass std must not cancel
    ]
    out["descriptive"] = []
    for xs in datasets:
        mean, std = exact_mean_std(xs)
        sem = exact_sem(xs)
        assert abs(np.std(xs, ddof=1) - std) <= 1e-8 * std and abs(stats.sem(xs) - sem) <= 1e-8 * sem
        out["descriptive"].append({"xs": xs, "mean": mean, "std": std, "sem": sem})
    out["t_intervals"] = []
    for xs in datasets:
        for conf in [0.8, 0.9, 0.95, 0.99]:
            lo, hi = stats.t.interval(conf, len(xs) - 1, loc=np.mean(xs), scale=stats.sem(xs))
            out["t_intervals"].append({"xs": xs, "confidence": conf, "low": float(lo), "high": float(hi)})

    out["wilson"] = []
    for s, n in [(0, 1), (1, 1), (0, 10), (10, 10), (1, 10), (5, 10), (9, 10), (3, 7), (50, 100), (1, 1000),
                 (999, 1000), (0, 1000), (1234, 5000), (1, 2), (164, 164)]:
        for conf in [0.9, 0.95, 0.99]:
            low, high = wilson(s, n, conf)
            ci = stats.binomtest(s, n).proportion_ci(confidence_level=conf, method="wilson")
            assert abs(ci.low - low) < 1e-12 and abs(ci.high - high) < 1e-12, (s, n, conf, ci, low, high)
            out["wilson"].append({"successes": s, "trials": n, "confidence": conf, "low": low, "high": high})

    cases = [(1, 0, 1), (1, 1, 1), (10, 0, 1), (10, 3, 1), (10, 3, 5), (10, 3, 8), (10, 10, 10), (200, 13, 1),
             (200, 13, 10), (200, 13, 100), (200, 1, 199), (200, 199, 200), (1000, 5, 500), (20, 19, 2), (5, 2, 4)]
    out["pass_at_k"] = [{"n": n, "c": c, "k": k, "value": float(pass_at_k(n, c, k))} for n, c, k in cases]
    problems = [(10, 0), (10, 3), (20, 20), (5, 1), (100, 42)]
    out["mean_pass_at_k"] = [{"problems": [list(p) for p in problems], "k": k,
                              "value": float(np.mean([pass_at_k(n, c, k) for n, c in problems]))} for k in (1, 2, 5)]

    data = [float(x) for x in rng.lognormal(0, 0.75, 25)]
    lows, highs = [], []
    for seed in range(40):
        res = stats.bootstrap((np.array(data),), np.mean, n_resamples=10_000, confidence_level=0.95,
                              method="percentile", rng=np.random.default_rng(seed))
        lows.append(res.confidence_interval.low)
        highs.append(res.confidence_interval.high)
    out["bootstrap"] = {"xs": data, "confidence": 0.95, "resamples": 10_000, "runs": 40,
                        "low_mean": float(np.mean(lows)), "low_sd": float(np.std(lows, ddof=1)),
                        "high_mean": float(np.mean(highs)), "high_sd": float(np.std(highs, ddof=1))}

    low, high = bootstrap_port(data, 0.95, 10_000, 42)
    out["bootstrap_port"] = {"xs": data, "confidence": 0.95, "resamples": 10_000, "seed": 42, "low": low, "high": high}

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"expected.json written (numpy {np.__version__}, scipy {scipy.__version__})")


if __name__ == "__main__":
    main()
