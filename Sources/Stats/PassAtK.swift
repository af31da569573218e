/// Unbiased pass@k from n samples of which c passed (Chen et al. 2021, "Evaluating Large Language Models Trained on
/// Code"): 1 − C(n − c, k) / C(n, k), computed as 1 − Π_{i = n − c + 1}^{n} (1 − k / i), which never forms a binomial
/// coefficient and so neither overflows nor cancels.
public func passAtK(n: Int, c: Int, k: Int) throws -> Double {
    let function = "passAtK"
    guard n >= 1 else { throw StatsError.invalidArgument(function: function, argument: "n", value: "\(n)", expected: "at least 1") }
    guard c >= 0, c <= n else {
        throw StatsError.invalidArgument(function: function, argument: "c", value: "\(c)", expected: "in 0...\(n) (n = \(n))")
    }
    guard k >= 1, k <= n else {
        throw StatsError.invalidArgument(function: function, argument: "k", value: "\(k)", expected: "in 1...\(n) (n = \(n))")
    }
    if n - c < k { return 1 }  // every draw of k samples holds a passing one
    if c == 0 { return 0 }
    var product = 1.0
    for i in (n - c + 1)...n {
        product *= 1 - Double(k) / Double(i)
    }
    return 1 - product
}

/// pass@k averaged over problems, each given as (samples drawn, samples that passed).
public func meanPassAtK(_ problems: [(n: Int, c: Int)], k: Int) throws -> Double {
    guard !problems.isEmpty else { throw StatsError.tooFewValues(function: "meanPassAtK", needed: 1, got: 0) }
    return try mean(problems.map { try passAtK(n: $0.n, c: $0.c, k: k) })
}
