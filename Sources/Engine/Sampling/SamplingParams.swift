/// How to pick tokens. temperature 0 is greedy; topK 0 and topP 1 switch truncation off.
public struct SamplingParams: Sendable, Equatable {
    public var maxTokens: Int
    public var temperature: Float
    public var topK: Int
    public var topP: Float
    public var seed: UInt64
    public var stopTokens: Set<Int>
    public var stopStrings: [String]
    public var topLogprobs: Int

    public init(maxTokens: Int = 64, temperature: Float = 1, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0,
                stopTokens: Set<Int> = [], stopStrings: [String] = [], topLogprobs: Int = 0) {
        self.maxTokens = maxTokens; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.seed = seed; self.stopTokens = stopTokens; self.stopStrings = stopStrings; self.topLogprobs = topLogprobs
    }

    /// Throws a LatheError naming the first out-of-range field.
    public func validate(vocabSize: Int) throws {
        if maxTokens < 0 { throw LatheError("max_tokens: must be >= 0 (got \(maxTokens))") }
        if !(temperature >= 0) || !temperature.isFinite { throw LatheError("temperature: must be a finite number >= 0 (got \(temperature))") }
        if topK < 0 { throw LatheError("top_k: must be >= 0 (got \(topK))") }
        if !(topP > 0 && topP <= 1) { throw LatheError("top_p: must be in (0, 1] (got \(topP))") }
        if topLogprobs < 0 || topLogprobs > 20 { throw LatheError("top_logprobs: must be in 0...20 (got \(topLogprobs))") }
        for t in stopTokens where !(0..<vocabSize).contains(t) {
            throw LatheError("stop token \(t): outside the vocabulary (0..<\(vocabSize))")
        }
    }
}

public enum StopReason: String, Sendable, Codable { case stop, length }

/// One sampled continuation. `logprobs` are log-softmax of the untempered logits (what computeLogprobs gives);
/// `samplingLogprobs` are under the distribution actually sampled from (tempered, truncated).
public struct Completion: Sendable {
    public var ids: [Int] = []
    public var logprobs: [Float] = []
    public var samplingLogprobs: [Float] = []
    public var topLogprobs: [[(id: Int, logprob: Float)]] = []
    public var stopReason: StopReason = .length
    public var text: String?
}
