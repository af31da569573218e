import Foundation
import Testing
import Tensor
@testable import Engine

/// The engine against Hugging Face transformers 5.23 (`Tests/Fixtures/generate_model_fixtures.py`): per-position
/// logprobs and final logits within 1e-4 (fp32 compute against a float64 reference; the observed error is ~1e-6).
struct ParityTests {
    static let tolerance = 1e-4

    @Test(arguments: [("moe-a", WeightPrecision.f32), ("moe-b", .f32), ("moe-a-fused", .f32), ("moe-a-bf16", .f32),
                      ("moe-a-bf16", .bf16), ("moe-a-f16", .f32), ("moe-a-f16", .bf16)])
    func logprobsMatchTransformers(name: String, precision: WeightPrecision) throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model(name), precision: precision)
        let expected = try Fixtures.expected(name)
        var worstLP = 0.0, worstLogit = 0.0
        for seq in expected.sequences {
            let got = try model.logprobs(seq.ids)
            worstLP = max(worstLP, maxAbsDiff(got.logprobs, seq.logprobs))
            worstLogit = max(worstLogit, maxAbsDiff(got.finalLogits, seq.final_logits))
        }
        print("parity \(name) [\(precision.rawValue) weights]: max |Δ logprob| = \(worstLP), max |Δ final logit| = \(worstLogit)")
        #expect(worstLP <= ParityTests.tolerance)
        #expect(worstLogit <= ParityTests.tolerance)
        if precision == .bf16 { #expect(model.embedding.dtype != .f32, "half-precision weights must stay as stored") }
    }

    @Test(arguments: ["moe-a", "moe-b"])
    func internalsMatchTransformers(name: String) throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model(name))
        let expected = try Fixtures.expected(name)
        let ids = expected.sequences[expected.internals.sequence].ids
        let out = try model.forward(.tokens(ids), options: ForwardOptions(logits: .none, hiddenStates: true,
                                                                          attentionProbs: true, routerLogits: true))
        #expect(out.hiddenStates.count == expected.internals.hidden_states.count)
        var worst = 0.0
        for (got, want) in zip(out.hiddenStates, expected.internals.hidden_states) { worst = max(worst, maxAbsDiff(got, want)) }
        #expect(out.routerLogits.count == expected.internals.router_logits.count)
        for (got, want) in zip(out.routerLogits, expected.internals.router_logits) { worst = max(worst, maxAbsDiff(got, want)) }
        worst = max(worst, maxAbsDiff(out.attentionProbs[0], expected.internals.attention_probs_layer0))
        print("internals \(name): max |Δ| over hidden states, router logits, attention = \(worst)")
        #expect(worst <= ParityTests.tolerance)
        // The final hidden state handed to scalar heads is the last hidden state.
        #expect(out.finalHidden.array == out.hiddenStates.last!)
    }

    @Test func inputEmbeddingsEqualTokenIDs() throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        let ids = [3, 17, 250, 9]
        let h = model.config.hiddenSize
        var emb: [Float] = []
        for id in ids { emb += Array(model.embedding.toArray()[id * h ..< (id + 1) * h]) }
        let a = try model.forward(.tokens(ids)), b = try model.forward(.embeddings(emb))
        #expect(a.logits!.array == b.logits!.array)
    }
}

/// KV cache: prefill then one token at a time gives the logits of one full forward pass (≤ 1e-5: same math,
/// different reduction order), at both thread counts and both weight precisions.
struct KVCacheTests {
    @Test(arguments: [(1, WeightPrecision.f32), (2, .f32), (2, .bf16)])
    func incrementalDecodeEqualsFullForward(threads: Int, precision: WeightPrecision) throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a-bf16"), precision: precision)
        let ids = try Fixtures.expected("moe-a-bf16").sequences[4].ids   // 41 tokens
        let v = model.config.vocabSize
        let full = try model.forward(.tokens(ids)).logits!
        let pool = ThreadPool(threads: threads)
        defer { pool.shutdown() }
        let decoder = TokenDecoder(model: model, pool: pool)
        let cache = model.newCache(capacity: ids.count)
        let pre = try model.forward(.tokens(Array(ids[0..<10])), cache: cache, options: ForwardOptions(logits: .last))
        var worst = maxAbsDiff(pre.logits!.array, (0..<v).map { Double(full[9 * v + $0]) })
        for pos in 10..<ids.count {
            let logits = try decoder.step(token: ids[pos], cache: cache)
            for j in 0..<v { worst = max(worst, Double(abs(logits[j] - full[pos * v + j]))) }
        }
        print("kv-cache decode vs full forward (\(threads) thread(s), \(precision.rawValue)): max |Δ logit| = \(worst)")
        #expect(worst <= 1e-5)
        #expect(cache.length == ids.count)
    }

    /// Batch-invariance: a sequence's logits are bitwise the same decoded alone or interleaved with others, and at
    /// 1 or 2 threads.
    @Test func decodeIsBatchAndThreadInvariant() throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        let a = [5, 9, 200, 31, 7, 7, 100, 64], b = [1, 2, 3, 4, 250, 251, 252, 253]
        func decodeAlone(_ ids: [Int], threads: Int) throws -> [[Float]] {
            let pool = ThreadPool(threads: threads)
            defer { pool.shutdown() }
            let d = TokenDecoder(model: model, pool: pool)
            let c = model.newCache(capacity: ids.count)
            return try ids.map { Array(UnsafeBufferPointer(start: try d.step(token: $0, cache: c), count: 256)) }
        }
        let alone1 = try decodeAlone(a, threads: 1), alone2 = try decodeAlone(a, threads: 2)
        let pool = ThreadPool(threads: 2)
        defer { pool.shutdown() }
        let d = TokenDecoder(model: model, pool: pool)
        let ca = model.newCache(capacity: 8), cb = model.newCache(capacity: 8)
        var interleaved: [[Float]] = []
        for i in 0..<8 {
            _ = try d.step(token: b[i], cache: cb)
            interleaved.append(Array(UnsafeBufferPointer(start: try d.step(token: a[i], cache: ca), count: 256)))
        }
        #expect(alone1 == alone2)
        #expect(alone1 == interleaved)
    }

    @Test func cacheOverflowAndBadTokensAreErrors() throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        let pool = ThreadPool(threads: 1)
        let d = TokenDecoder(model: model, pool: pool)
        let c = model.newCache(capacity: 1)
        _ = try d.step(token: 1, cache: c)
        #expect(throws: LatheError("KV cache is full (1 positions)")) { try d.step(token: 1, cache: c) }
        #expect(throws: LatheError("token id 256 is outside the vocabulary (0..<256)")) {
            try d.step(token: 256, cache: model.newCache(capacity: 2))
        }
        #expect(throws: LatheError("token id -1 at position 1 is outside the vocabulary (0..<256)")) {
            try model.forward(.tokens([1, -1]))
        }
        #expect(throws: LatheError("empty input: at least one position is needed")) { try model.forward(.tokens([])) }
    }
}
