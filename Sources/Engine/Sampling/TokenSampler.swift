import Foundation
import Tensor

/// Picks one token from a row of logits. Deterministic in (logits, params, rng state); one uniform draw per token.
public struct TokenSampler {
    public let params: SamplingParams
    var scratch: [Float]
    var order: [Int]

    public init(params: SamplingParams, vocabSize: Int) {
        self.params = params
        scratch = [Float](repeating: 0, count: vocabSize)
        order = []
    }

    public struct Pick { public var id: Int; public var logprob: Float; public var samplingLogprob: Float }

    public mutating func pick(_ logits: UnsafePointer<Float>, vocab: Int, rng: inout PhiloxRNG) -> Pick {
        let lse = Kernels.logSumExp(logits, vocab)
        let t = params.temperature
        if t == 0 {
            var best = 0
            for i in 1..<vocab where logits[i] > logits[best] { best = i }
            return Pick(id: best, logprob: logits[best] - lse, samplingLogprob: 0)
        }
        let u = rng.nextDouble()
        let invT = 1 / t
        if params.topK == 0 && params.topP >= 1 {
            // Full softmax of logits / T, sampled by inverse CDF in id order (no sort).
            var m = -Float.infinity
            for i in 0..<vocab { scratch[i] = logits[i] * invT; m = max(m, scratch[i]) }
            var total = 0.0
            for i in 0..<vocab { total += Double(expf(scratch[i] - m)) }
            let target = u * total
            var acc = 0.0
            var chosen = vocab - 1
            for i in 0..<vocab {
                acc += Double(expf(scratch[i] - m))
                if acc > target { chosen = i; break }
            }
            let slp = Float(Double(scratch[chosen] - m) - log(total))
            return Pick(id: chosen, logprob: logits[chosen] - lse, samplingLogprob: slp)
        }
        // Truncated: candidates sorted by logit (ties: lower id first), top-k then top-p, renormalised.
        order = Array(0..<vocab)
        if params.topK > 0 && params.topK < vocab {
            order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            order.removeLast(vocab - params.topK)
        } else {
            order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        }
        let m = logits[order[0]] * invT
        var probs = order.map { Double(expf(logits[$0] * invT - m)) }
        var total = probs.reduce(0, +)
        if params.topP < 1 {
            var acc = 0.0
            var keep = probs.count
            for (i, p) in probs.enumerated() {
                acc += p
                if acc >= Double(params.topP) * total { keep = i + 1; break }
            }
            probs.removeLast(probs.count - keep)
            order.removeLast(order.count - keep)
            total = probs.reduce(0, +)
        }
        let target = u * total
        var acc = 0.0
        var k = probs.count - 1
        for (i, p) in probs.enumerated() {
            acc += p
            if acc > target { k = i; break }
        }
        let id = order[k]
        return Pick(id: id, logprob: logits[id] - lse, samplingLogprob: Float(log(probs[k] / total)))
    }

    /// The k most likely ids by untempered log-softmax, best first.
    public static func top(_ k: Int, _ logits: UnsafePointer<Float>, vocab: Int) -> [(id: Int, logprob: Float)] {
        guard k > 0 else { return [] }
        let lse = Kernels.logSumExp(logits, vocab)
        var best: [(id: Int, logprob: Float)] = []
        for i in 0..<vocab {
            let lp = logits[i] - lse
            if best.count < k || lp > best[best.count - 1].logprob {
                var j = best.count
                while j > 0 && best[j - 1].logprob < lp { j -= 1 }
                best.insert((i, lp), at: j)
                if best.count > k { best.removeLast() }
            }
        }
        return best
    }
}
