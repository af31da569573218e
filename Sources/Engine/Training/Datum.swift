/// One training sequence, as Tinker's Datum: the model reads `tokens`; position i is scored on `targets[i]` with
/// weight `weights[i]` (0 = not scored). RL losses add per-token sampling logprobs and advantages.
public struct Datum: Sendable, Equatable {
    public var tokens: [Int]
    public var targets: [Int]
    public var weights: [Float]
    public var samplingLogprobs: [Float]?
    public var advantages: [Float]?
    /// A reference policy's logprobs of the targets (a KL penalty in the loss).
    public var referenceLogprobs: [Float]?
    /// Positions whose input is a given vector instead of the token's embedding row (image tokens, soft prompts).
    public var injected: InjectedEmbeddings?

    public init(tokens: [Int], targets: [Int], weights: [Float], samplingLogprobs: [Float]? = nil, advantages: [Float]? = nil,
                referenceLogprobs: [Float]? = nil, injected: InjectedEmbeddings? = nil) {
        self.tokens = tokens; self.targets = targets; self.weights = weights
        self.samplingLogprobs = samplingLogprobs; self.advantages = advantages
        self.referenceLogprobs = referenceLogprobs; self.injected = injected
    }

    /// Next-token prediction over a whole sequence: tokens[0..<T-1] predict tokens[1..<T], every weight `w`.
    public init(sequence: [Int], weight: Float = 1) {
        self.init(tokens: Array(sequence.dropLast()), targets: Array(sequence.dropFirst()),
                  weights: [Float](repeating: weight, count: max(0, sequence.count - 1)))
    }

    public func validate(index: Int, vocabSize: Int, hiddenSize: Int? = nil) throws {
        if tokens.isEmpty { throw LatheError("datum \(index): tokens is empty") }
        if targets.count != tokens.count || weights.count != tokens.count {
            throw LatheError("datum \(index): tokens (\(tokens.count)), targets (\(targets.count)) and weights (\(weights.count)) must have the same length")
        }
        for (i, t) in tokens.enumerated() where !(0..<vocabSize).contains(t) {
            throw LatheError("datum \(index): tokens[\(i)] = \(t) is outside the vocabulary (0..<\(vocabSize))")
        }
        for (i, t) in targets.enumerated() where !(0..<vocabSize).contains(t) {
            throw LatheError("datum \(index): targets[\(i)] = \(t) is outside the vocabulary (0..<\(vocabSize))")
        }
        for (i, w) in weights.enumerated() where !w.isFinite {
            throw LatheError("datum \(index): weights[\(i)] is not finite")
        }
        if let inj = injected, let h = hiddenSize { try inj.validate(datum: index, length: tokens.count, hiddenSize: h) }
    }
}

/// Input vectors [positions, hidden] standing in for token embeddings at some positions of a Datum.
public struct InjectedEmbeddings: Sendable, Equatable {
    public var positions: [Int]      // strictly ascending
    public var values: [Float]       // [positions.count, hidden] row-major

    public init(positions: [Int], values: [Float]) { self.positions = positions; self.values = values }

    /// `count` consecutive positions from `start`.
    public init(start: Int, values: [Float], hiddenSize: Int) {
        self.init(positions: Array(start ..< start + values.count / hiddenSize), values: values)
    }

    func validate(datum: Int, length: Int, hiddenSize h: Int) throws {
        guard values.count == positions.count * h else {
            throw LatheError("datum \(datum): injected values hold \(values.count) floats for \(positions.count) positions of \(h)")
        }
        for (j, p) in positions.enumerated() {
            guard (0..<length).contains(p) else { throw LatheError("datum \(datum): injected position \(p) is outside 0..<\(length)") }
            if j > 0 && p <= positions[j - 1] { throw LatheError("datum \(datum): injected positions must be strictly ascending") }
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw LatheError("datum \(datum): injected value \(i) is not finite")
        }
    }
}
