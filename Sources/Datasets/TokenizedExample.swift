/// A token sequence with a loss weight per position, on the target side: `weights[i]` weighs the loss of predicting
/// `ids[i]` from `ids[..<i]`, so `weights[0]` is always 0 (nothing predicts the first token). A Tinker-style datum is
/// `input = ids[..<n-1]`, `target_tokens = ids[1...]`, `weights = weights[1...]`.
public struct TokenizedExample: Equatable, Codable, Sendable {
    public var ids: [Int]
    public var weights: [Float]

    public init(ids: [Int], weights: [Float]) {
        precondition(ids.count == weights.count, "one weight per id")
        self.ids = ids
        self.weights = weights
    }

    public var count: Int { ids.count }

    /// Positions whose loss counts (weight ≠ 0).
    public var lossTokens: Int { weights.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    /// The first `maxLength` tokens (the start is kept: the prompt and the beginning of the answer).
    public func truncated(to maxLength: Int) -> TokenizedExample {
        precondition(maxLength > 0, "maxLength must be positive")
        if ids.count <= maxLength { return self }
        return TokenizedExample(ids: Array(ids[..<maxLength]), weights: Array(weights[..<maxLength]))
    }
}
