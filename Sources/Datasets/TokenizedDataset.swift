/// A chat dataset turned into training sequences: every example rendered with the chat template, truncated to
/// `maxLength` tokens (keeping the start), examples left without a loss-carrying token dropped, and a seeded held-out
/// split taken out.
public struct TokenizedDataset: Sendable {
    public struct Summary: Codable, Equatable, Sendable {
        /// Examples in the file.
        public var examples: Int
        /// Tokens after truncation, over the examples kept.
        public var tokens: Int
        /// Tokens whose loss counts, over the examples kept.
        public var lossTokens: Int
        /// Examples longer than `maxLength`.
        public var truncated: Int
        /// Examples whose loss-carrying tokens all lay beyond `maxLength` (they would only cost compute).
        public var droppedWithoutLoss: Int
        public var train: Int
        public var eval: Int
        public var maxLength: Int

        enum CodingKeys: String, CodingKey {
            case examples, tokens, lossTokens = "loss_tokens", truncated, droppedWithoutLoss = "dropped_without_loss"
            case train, eval, maxLength = "max_length"
        }
    }

    public let train: [TokenizedExample]
    /// Held-out examples, in file order.
    public let eval: [TokenizedExample]
    public let summary: Summary

    /// `evalFraction` in [0, 1): that share of the examples (rounded, at least one when positive, never all) is held
    /// out, chosen by `seed`.
    public init(
        _ dataset: ChatDataset, template: ChatTemplate, maxLength: Int, evalFraction: Double = 0, seed: UInt64 = 0
    ) throws(DatasetError) {
        precondition(maxLength > 0, "maxLength must be positive")
        precondition(evalFraction >= 0 && evalFraction < 1, "evalFraction must be in [0, 1)")
        var kept: [TokenizedExample] = []
        kept.reserveCapacity(dataset.examples.count)
        var truncated = 0, dropped = 0
        for example in dataset.examples {
            let full = template.encode(example)
            if full.count > maxLength { truncated += 1 }
            let cut = full.truncated(to: maxLength)
            if cut.lossTokens == 0 {
                dropped += 1
                continue
            }
            kept.append(cut)
        }
        if kept.isEmpty {
            throw DatasetError(source: dataset.source, "no example has a loss-carrying token within the first "
                + "\(maxLength) tokens: raise the max length")
        }
        var evalCount = 0
        if evalFraction > 0 {
            guard kept.count >= 2 else {
                throw DatasetError(source: dataset.source, "a held-out split needs at least 2 examples, got 1")
            }
            evalCount = min(kept.count - 1, max(1, Int((Double(kept.count) * evalFraction).rounded())))
        }
        var indices = Array(kept.indices)
        var rng = SplitMix64.stream(seed: seed, .max)
        indices.seededShuffle(using: &rng)
        let held = Set(indices.prefix(evalCount))
        train = kept.indices.filter { !held.contains($0) }.map { kept[$0] }
        eval = kept.indices.filter { held.contains($0) }.map { kept[$0] }
        summary = Summary(
            examples: dataset.examples.count, tokens: kept.reduce(0) { $0 + $1.count },
            lossTokens: kept.reduce(0) { $0 + $1.lossTokens }, truncated: truncated, droppedWithoutLoss: dropped,
            train: train.count, eval: eval.count, maxLength: maxLength)
    }
}
