import Foundation
import Tensor

/// Turns sampled ids back into text (stop strings, `Completion.text`); the tokenizer conforms.
public protocol TextDecoding: Sendable {
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
}

/// Samples continuations of a prompt: one prefill (batched GEMMs), then token-by-token decoding with a KV cache.
/// Each of the n samples draws from its own RNG stream (seed, sample index), so a sample does not depend on n.
public final class Generator: @unchecked Sendable {
    public let model: Qwen3MoEModel
    public let decoder: TokenDecoder
    public let tokenizer: TextDecoding?

    public init(model: Qwen3MoEModel, pool: ThreadPool, tokenizer: TextDecoding? = nil) {
        self.model = model
        self.decoder = TokenDecoder(model: model, pool: pool)
        self.tokenizer = tokenizer
    }

    /// Called after every sampled token with (sample index, token id, its logprob, the top-k alternatives when
    /// `topLogprobs` > 0); return false to stop that sample.
    public typealias TokenCallback = (_ sample: Int, _ id: Int, _ logprob: Float, _ top: [(id: Int, logprob: Float)]) -> Bool

    public func generate(prompt: [Int], params: SamplingParams, count: Int = 1, adapter: LoRAAdapter? = nil,
                         onToken: TokenCallback? = nil) throws -> [Completion] {
        try generate(input: .tokens(prompt), params: params, count: count, adapter: adapter, onToken: onToken)
    }

    /// Like `generate(prompt:)` from any model input: token ids, or input embeddings [T, hidden] (image tokens).
    public func generate(input: ModelInput, params: SamplingParams, count: Int = 1, adapter: LoRAAdapter? = nil,
                         onToken: TokenCallback? = nil) throws -> [Completion] {
        decoder.adapter = adapter
        defer { decoder.adapter = nil }
        let vocab = model.config.vocabSize
        try params.validate(vocabSize: vocab)
        let promptLength: Int
        switch input {
        case .tokens(let ids): promptLength = ids.count
        case .embeddings(let e): promptLength = e.count / model.config.hiddenSize
        }
        guard promptLength > 0 else { throw LatheError("prompt: at least one token is needed") }
        guard count >= 1 else { throw LatheError("n: must be >= 1 (got \(count))") }
        let capacity = promptLength + params.maxTokens
        let maxPositions = model.config.maxPositionEmbeddings
        if capacity > maxPositions {
            throw LatheError("prompt (\(promptLength) tokens) + max_tokens (\(params.maxTokens)) exceeds max_position_embeddings \(maxPositions)")
        }
        let promptCache = model.newCache(capacity: capacity)
        let pre = try model.forward(input, cache: promptCache, options: ForwardOptions(logits: .last), adapter: adapter)
        let first = pre.logits!
        var results: [Completion] = []
        for sample in 0..<count {
            let cache = count == 1 ? promptCache : promptCache.copy()
            var rng = PhiloxRNG(seed: params.seed, stream: UInt64(sample))
            var sampler = TokenSampler(params: params, vocabSize: vocab)
            var out = Completion()
            var logits = UnsafePointer(first.pointer)
            while out.ids.count < params.maxTokens {
                let pick = sampler.pick(logits, vocab: vocab, rng: &rng)
                out.ids.append(pick.id)
                out.logprobs.append(pick.logprob)
                out.samplingLogprobs.append(pick.samplingLogprob)
                if params.topLogprobs > 0 { out.topLogprobs.append(TokenSampler.top(params.topLogprobs, logits, vocab: vocab)) }
                if params.stopTokens.contains(pick.id) { out.stopReason = .stop; break }
                if let onToken, !onToken(sample, pick.id, pick.logprob, out.topLogprobs.last ?? []) { out.stopReason = .stop; break }
                if !params.stopStrings.isEmpty, let tok = tokenizer {
                    let text = tok.decode(out.ids, skipSpecialTokens: true)
                    if params.stopStrings.contains(where: { text.contains($0) }) { out.stopReason = .stop; break }
                }
                if out.ids.count == params.maxTokens { break }
                logits = UnsafePointer(try decoder.step(token: pick.id, cache: cache))
            }
            if let tok = tokenizer {
                var text = tok.decode(out.ids, skipSpecialTokens: true)
                for s in params.stopStrings { if let r = text.range(of: s) { text = String(text[..<r.lowerBound]) } }
                out.text = text
            }
            results.append(out)
        }
        return results
    }
}
