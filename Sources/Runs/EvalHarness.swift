import Datasets
import Engine
import Foundation
import Stats
import Tokenizer

/// Held-out evaluation of a policy on an environment: greedy accuracy with a Wilson 95 % interval (over prompts, one
/// greedy decode each), and the unbiased pass@k from n samples per prompt at temperature 1.
public struct EvalHarness {
    public let environment: Environment
    public let template: ChatTemplate
    public let tokenizer: Tokenizer
    public let stopIDs: Set<Int>
    public let maxTokens: Int

    /// Prompt ids, sampling params and a sample count → completions' ids.
    public typealias Generate = (_ prompt: [Int], _ params: SamplingParams, _ count: Int) throws -> [[Int]]

    public init(environment: Environment, template: ChatTemplate, tokenizer: Tokenizer, stopIDs: Set<Int>, maxTokens: Int) {
        self.environment = environment; self.template = template; self.tokenizer = tokenizer
        self.stopIDs = stopIDs; self.maxTokens = maxTokens
    }

    public struct Accuracy: Sendable {
        public var accuracy: Double, interval: Interval, n: Int
        /// Greedy replies and whether each was right, in prompt order (reports, stored samples, paired comparisons).
        public var replies: [String]
        public var correct: [Bool]
    }

    func ids(_ p: EnvironmentPrompt) -> [Int] { template.encode(p.messages, addGenerationPrompt: true).ids }

    func correct(_ p: EnvironmentPrompt, _ completion: [Int]) -> Bool {
        (environment.reward(p, completion: tokenizer.decode(completion, skipSpecialTokens: true)) ?? 0) >= 1
    }

    /// Greedy accuracy on the first `count` held-out prompts.
    public func greedyAccuracy(count: Int, generate: Generate) throws -> Accuracy {
        let prompts = environment.heldOutPrompts(count: count)
        var right = 0
        var replies: [String] = [], flags: [Bool] = []
        for p in prompts {
            let out = try generate(ids(p), SamplingParams(maxTokens: maxTokens, temperature: 0, stopTokens: stopIDs), 1)[0]
            let ok = correct(p, out)
            if ok { right += 1 }
            flags.append(ok)
            replies.append(tokenizer.decode(out, skipSpecialTokens: true))
        }
        let n = max(1, prompts.count)
        return Accuracy(accuracy: Double(right) / Double(n), interval: try wilsonInterval(successes: right, trials: n),
                        n: prompts.count, replies: replies, correct: flags)
    }

    /// Unbiased pass@1 and pass@k (Chen et al. 2021) from `k` samples per prompt at temperature 1, with a bootstrap 95 %
    /// interval over prompts for each.
    public func passAtK(count: Int, k: Int, seed: UInt64, generate: Generate) throws -> [Int: (value: Double, interval: Interval)] {
        let prompts = environment.heldOutPrompts(count: count)
        var problems: [(n: Int, c: Int)] = []
        for (i, p) in prompts.enumerated() {
            let params = SamplingParams(maxTokens: maxTokens, temperature: 1, seed: seed &+ UInt64(i), stopTokens: stopIDs)
            let outs = try generate(ids(p), params, k)
            problems.append((k, outs.filter { correct(p, $0) }.count))
        }
        var out: [Int: (Double, Interval)] = [:]
        for kk in Set([1, k]) {
            let perProblem = try problems.map { try Stats.passAtK(n: $0.n, c: $0.c, k: kk) }
            let value = try meanPassAtK(problems, k: kk)
            out[kk] = (value, try bootstrapCI(perProblem, resamples: 2000, seed: seed))
        }
        return out
    }
}
