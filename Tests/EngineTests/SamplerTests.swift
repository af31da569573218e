import Foundation
import Testing
import Tensor
@testable import Engine

struct SamplerTests {
    static let model = try! Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))

    func generate(_ params: SamplingParams, n: Int = 1, threads: Int = 1, prompt: [Int] = [4, 8, 15, 16, 23, 42])
        throws -> [Completion] {
        let pool = ThreadPool(threads: threads)
        defer { pool.shutdown() }
        return try Generator(model: SamplerTests.model, pool: pool).generate(prompt: prompt, params: params, count: n)
    }

    @Test func sameSeedSameTokensDifferentSeedDifferentTokens() throws {
        let p = SamplingParams(maxTokens: 24, temperature: 1, seed: 1234)
        let a = try generate(p), b = try generate(p, threads: 2)
        var q = p; q.seed = 1235
        let c = try generate(q)
        #expect(a[0].ids == b[0].ids)
        #expect(a[0].logprobs == b[0].logprobs)
        #expect(a[0].ids != c[0].ids)
    }

    @Test func sampleDoesNotDependOnN() throws {
        let p = SamplingParams(maxTokens: 16, temperature: 0.9, topP: 0.9, seed: 5)
        let one = try generate(p, n: 1), three = try generate(p, n: 3)
        #expect(three[0].ids == one[0].ids)
        #expect(Set(three.map(\.ids)).count > 1, "three samples at T=0.9 should not all coincide")
    }

    /// Contract 6: `logprobs` are the untempered log-softmax, equal to a full forward's (≤ 1e-5), at every temperature.
    @Test(arguments: [Float(0), 0.5, 1, 1.7])
    func sampledLogprobsEqualComputedLogprobs(temperature: Float) throws {
        let prompt = [4, 8, 15, 16, 23, 42]
        let p = SamplingParams(maxTokens: 20, temperature: temperature, topK: temperature == 0.5 ? 20 : 0,
                               topP: temperature == 1.7 ? 0.8 : 1, seed: 77)
        let s = try generate(p, prompt: prompt)[0]
        let ref = try SamplerTests.model.logprobs(prompt + s.ids).logprobs.suffix(s.ids.count)
        let worst = zip(ref, s.logprobs).map { abs($0 - $1) }.max()!
        print("sampler vs computeLogprobs at T=\(temperature): max |Δ| = \(worst)")
        #expect(worst <= 1e-5)
        if temperature == 0 { #expect(s.samplingLogprobs.allSatisfy { $0 == 0 }) }
        if temperature == 1 { #expect(zip(s.logprobs, s.samplingLogprobs).allSatisfy { abs($0 - $1) < 1e-4 }) }
    }

    @Test func greedyPicksArgmaxAndTopLogprobsAreSorted() throws {
        let s = try generate(SamplingParams(maxTokens: 8, temperature: 0, topLogprobs: 5))[0]
        for (i, id) in s.ids.enumerated() {
            let top = s.topLogprobs[i]
            #expect(top.count == 5)
            #expect(top[0].id == id)
            #expect(zip(top, top.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
            #expect(abs(top[0].logprob - s.logprobs[i]) < 1e-6)
        }
    }

    @Test func stopTokenEndsTheSample() throws {
        let free = try generate(SamplingParams(maxTokens: 10, temperature: 0))[0]
        let stop = free.ids[3]
        let s = try generate(SamplingParams(maxTokens: 10, temperature: 0, stopTokens: [stop]))[0]
        let cut = free.ids.firstIndex(of: stop)!
        #expect(s.ids == Array(free.ids[0...cut]))
        #expect(s.stopReason == .stop)
        #expect(free.stopReason == .length)
    }

    /// top-k / top-p truncation: empirical frequencies of a fixed distribution match the renormalised truncation.
    @Test func truncatedSamplingFollowsTheTruncatedDistribution() {
        let logits: [Float] = [2.0, 1.0, 0.5, 0.0, -1.0, -3.0]
        let p = logits.map { exp(Double($0)) }, z = p.reduce(0, +)
        let probs = p.map { $0 / z }   // sorted descending already
        // top-p 0.8 keeps the smallest prefix with mass ≥ 0.8.
        var keep = 0, acc = 0.0
        while acc < 0.8 { acc += probs[keep]; keep += 1 }
        var sampler = TokenSampler(params: SamplingParams(temperature: 1, topP: 0.8), vocabSize: 6)
        var rng = PhiloxRNG(seed: 3)
        var counts = [Int](repeating: 0, count: 6)
        let n = 40_000
        for _ in 0..<n { counts[sampler.pick(logits, vocab: 6, rng: &rng).id] += 1 }
        for i in 0..<6 {
            let want = i < keep ? probs[i] / acc : 0
            let sd = (want * (1 - want) / Double(n)).squareRoot()
            #expect(abs(Double(counts[i]) / Double(n) - want) <= 5 * sd + 1e-9, "token \(i)")
        }
        var topK = TokenSampler(params: SamplingParams(temperature: 1, topK: 2), vocabSize: 6)
        for _ in 0..<2000 { #expect(topK.pick(logits, vocab: 6, rng: &rng).id < 2) }
    }

    @Test func badParamsAreNamed() throws {
        #expect(throws: LatheError("top_p: must be in (0, 1] (got 0.0)")) { try generate(SamplingParams(topP: 0)) }
        #expect(throws: LatheError("temperature: must be a finite number >= 0 (got -1.0)")) {
            try generate(SamplingParams(temperature: -1))
        }
        #expect(throws: LatheError("prompt (6 tokens) + max_tokens (1000) exceeds max_position_embeddings 512")) {
            try generate(SamplingParams(maxTokens: 1000))
        }
    }
}
