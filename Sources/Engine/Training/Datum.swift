/// One training sequence, as Tinker's Datum: the model reads `tokens`; position i is scored on `targets[i]` with
/// weight `weights[i]` (0 = not scored). RL losses add per-token sampling logprobs and advantages.
public struct Datum: Sendable, Equatable {
    public var tokens: [Int]
    public var targets: [Int]
    public var weights: [Float]
    public var samplingLogprobs: [Float]?
    public var advantages: [Float]?

    public init(tokens: [Int], targets: [Int], weights: [Float], samplingLogprobs: [Float]? = nil, advantages: [Float]? = nil) {
        self.tokens = tokens; self.targets = targets; self.weights = weights
        self.samplingLogprobs = samplingLogprobs; self.advantages = advantages
    }

    /// Next-token prediction over a whole sequence: tokens[0..<T-1] predict tokens[1..<T], every weight `w`.
    public init(sequence: [Int], weight: Float = 1) {
        self.init(tokens: Array(sequence.dropLast()), targets: Array(sequence.dropFirst()),
                  weights: [Float](repeating: weight, count: max(0, sequence.count - 1)))
    }

    public func validate(index: Int, vocabSize: Int) throws {
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
    }
}
