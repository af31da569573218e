import Foundation
import Testing
import Tensor
@testable import Engine

/// The RL losses against hand-computed values, their gradients against finite differences through the whole model,
/// GRPO advantages and the KL estimators.
struct LossTests {
    @Test func termsMatchHandComputedValues() {
        // r = e^{ℓ−s}; ℓ = −1, s = −1.2 → r = e^{0.2} = 1.221402758
        let r = Float(exp(0.2))
        let isTerm = LossFunction.importanceSampling.term(logprob: -1, weight: 1, samplingLogprob: -1.2, advantage: 2)
        #expect(abs(isTerm.loss - Double(-2 * r)) < 1e-6 && abs(isTerm.dLogprob - (-2 * r)) < 1e-6)
        // PPO, A > 0, r above 1.2: clipped objective 1.2·A, no gradient.
        let up = LossFunction.ppo().term(logprob: -1, weight: 1, samplingLogprob: -1.2, advantage: 2)
        #expect(abs(up.loss - (-2.4)) < 1e-6 && up.dLogprob == 0 && up.clipped)
        // PPO, A < 0, r above 1.2: min picks r·A (more negative), gradient flows.
        let down = LossFunction.ppo().term(logprob: -1, weight: 1, samplingLogprob: -1.2, advantage: -2)
        #expect(abs(down.loss - Double(2 * r)) < 1e-6 && abs(down.dLogprob - 2 * r) < 1e-6 && !down.clipped)
        // Dual clip c = 1.1 bounds that branch at c·A = −2.2.
        let dual = LossFunction.ppo(dualClip: 1.1).term(logprob: -1, weight: 1, samplingLogprob: -1.2, advantage: -2)
        #expect(abs(dual.loss - 2.2) < 1e-6 && dual.dLogprob == 0 && dual.clipped)
        // Inside the clip range PPO equals importance sampling.
        let inside = LossFunction.ppo().term(logprob: -1, weight: 1, samplingLogprob: -1.05, advantage: 0.5)
        let isInside = LossFunction.importanceSampling.term(logprob: -1, weight: 1, samplingLogprob: -1.05, advantage: 0.5)
        #expect(inside == isInside)
        // CISPO: −clip(r)·A·ℓ with the clip held constant: r = 1.2214 → 1.2; ℓ = −1, A = 2 → loss 2.4, dℓ −2.4.
        let cispo = LossFunction.cispo().term(logprob: -1, weight: 1, samplingLogprob: -1.2, advantage: 2)
        #expect(abs(cispo.loss - 2.4) < 1e-6 && abs(cispo.dLogprob - (-2.4)) < 1e-6 && cispo.clipped)
        // Weight 0 (prompt tokens) contributes nothing.
        #expect(LossFunction.ppo().term(logprob: -1, weight: 0, samplingLogprob: -3, advantage: 5) == .init(loss: 0, dLogprob: 0, clipped: false))
        #expect(LossFunction.crossEntropy.term(logprob: -2, weight: 0.5, samplingLogprob: 0, advantage: 0).loss == 1)
    }

    @Test func namesAndConfigsParseAndBadOnesAreNamed() throws {
        #expect(try LossFunction(name: "ppo", config: ["clip_low_threshold": 0.9, "clip_high_threshold": 1.1]) == .ppo(clipLow: 0.9, clipHigh: 1.1))
        #expect(try LossFunction(name: "importance_sampling") == .importanceSampling)
        #expect(throws: LatheError("loss_fn \"dpo\": unknown (cross_entropy, importance_sampling, ppo or cispo)")) { try LossFunction(name: "dpo") }
        #expect(throws: LatheError.self) { try LossFunction(name: "ppo", config: ["clip_low_threshold": 1.5]) }
    }

    @Test func groupAdvantagesAndKLEstimators() {
        let a = groupRelativeAdvantages([1, 0, 0, 1, 1, 1, 1, 1], groupSize: 4, normalizeByStd: false)
        #expect(a == [0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0])
        let s = groupRelativeAdvantages([1, 0, 0, 1], groupSize: 4, normalizeByStd: true)
        #expect(s.map { ($0 * 1e4).rounded() / 1e4 } == [1, -1, -1, 1])   // std 0.5
        #expect(KLEstimator.k1.value(logprob: -1, referenceLogprob: -1.5) == 0.5)
        #expect(abs(KLEstimator.k3.value(logprob: -1, referenceLogprob: -1.5) - (exp(-0.5) - 1 + 0.5)) < 1e-12)
        #expect(KLEstimator.k3.value(logprob: -2, referenceLogprob: -1) >= 0)
    }

    /// Each policy-gradient loss's LoRA gradient against central finite differences of its loss (the sampling
    /// logprobs fixed away from the current ones, so ratios ≠ 1 and PPO clips some positions).
    @Test(arguments: ["importance_sampling", "ppo"])
    func policyGradientsMatchFiniteDifferences(name: String) throws {
        let model = Qwen3MoEModel.random(config: GradientTests.config(normTopK: true), seed: 5, std: 0.3)
        let adapter = try LoRAAdapter(config: LoRAConfig(rank: 3, alpha: 6, targets: LoRATarget.allCases), model: model.config, seed: 9)
        var rng = PhiloxRNG(seed: 10)
        for m in adapter.modules { for i in 0..<m.b.count { m.b[i] = rng.nextGaussian() * 0.2 } }
        let graph = TrainingGraph(model: model, adapter: adapter)
        let current = try graph.run(GradientTests.batch, backward: false).logprobs
        let batch = GradientTests.batch.enumerated().map { b, d in
            var d = d
            d.samplingLogprobs = current[b].enumerated().map { $0.element + (($0.offset % 2 == 0) ? 0.3 : -0.1) }
            d.advantages = d.tokens.indices.map { Float(($0 % 3) - 1) * 0.7 + 0.2 }
            return d
        }
        let loss = try LossFunction(name: name)
        let out = try graph.run(batch, loss: loss)
        if name == "ppo" { #expect(out.clipFraction > 0 && out.clipFraction < 1, "some positions clipped") }
        let checker = GradientTests()
        var worst = 0.0
        for m in adapter.modules {
            for (label, value, grad) in [("A", m.a, m.gradA), ("B", m.b, m.gradB)] {
                let (num, ana) = try checker.directionalCheck(name: m.path + label, value: value.pointer, grad: grad.pointer,
                                                              count: value.count) {
                    try graph.run(batch, backward: false, loss: loss).loss
                }
                worst = max(worst, abs(num - ana) / max(abs(num), 1e-2))
            }
        }
        // PPO's clip boundary makes the loss piecewise: a perturbation can cross it, so it gets a looser bound.
        #expect(worst < (name == "ppo" ? 5e-2 : 2e-2), "\(name): worst relative error \(worst)")
    }

    /// CISPO's gradient holds clip(r) constant (a stop-gradient), so it is exactly cross-entropy's gradient with
    /// weights clip(r)·A — not the derivative of its loss value.
    @Test func cispoGradientIsClippedRatioWeightedCrossEntropy() throws {
        let model = Qwen3MoEModel.random(config: GradientTests.config(normTopK: true), seed: 5, std: 0.3)
        func adapter() throws -> LoRAAdapter {
            let a = try LoRAAdapter(config: LoRAConfig(rank: 3, alpha: 6, targets: LoRATarget.allCases), model: model.config, seed: 9)
            var rng = PhiloxRNG(seed: 10)
            for m in a.modules { for i in 0..<m.b.count { m.b[i] = rng.nextGaussian() * 0.2 } }
            return a
        }
        let a1 = try adapter(), a2 = try adapter()
        let current = try TrainingGraph(model: model, adapter: a1).run(GradientTests.batch, backward: false).logprobs
        var pg: [Datum] = [], ce: [Datum] = []
        for (b, d) in GradientTests.batch.enumerated() {
            var p = d
            p.samplingLogprobs = current[b].enumerated().map { $0.element + (($0.offset % 2 == 0) ? 0.3 : -0.1) }
            p.advantages = d.tokens.indices.map { Float(($0 % 3) - 1) * 0.7 + 0.2 }
            pg.append(p)
            var c = d
            c.weights = d.tokens.indices.map { i in
                guard d.weights[i] != 0 else { return 0 }
                let r = Float(exp(Double(current[b][i] - p.samplingLogprobs![i])))
                return min(max(r, 0.8), 1.2) * p.advantages![i]
            }
            ce.append(c)
        }
        _ = try TrainingGraph(model: model, adapter: a1).run(pg, loss: .cispo())
        _ = try TrainingGraph(model: model, adapter: a2).run(ce)
        var worst: Float = 0
        for (m1, m2) in zip(a1.modules, a2.modules) {
            for i in 0..<m1.gradA.count { worst = max(worst, abs(m1.gradA[i] - m2.gradA[i])) }
            for i in 0..<m1.gradB.count { worst = max(worst, abs(m1.gradB[i] - m2.gradB[i])) }
        }
        #expect(worst < 1e-5, "max |Δgrad| \(worst)")
    }

    @Test func policyGradientDatumsNeedLogprobsAndAdvantages() throws {
        let model = Qwen3MoEModel.random(config: GradientTests.config(normTopK: true), seed: 5, std: 0.3)
        #expect(throws: LatheError("datum 0: loss ppo needs logprobs and advantages, one per position")) {
            try TrainingGraph(model: model).run(GradientTests.batch, loss: .ppo())
        }
    }
}
