import Foundation
import Testing
import Tensor
@testable import Engine

/// Backward against central finite differences of the fp32 loss, along a random direction per tensor.
/// ε = 1e-2 keeps fp32 rounding of the loss (~1e-6 relative) below 1e-3 of the difference; the tolerance (2e-2
/// relative) covers that and the O(ε²) truncation. The float64 check is the PEFT parity test (LoRAParityTests).
struct GradientTests {
    static func config(normTopK: Bool) -> Qwen3MoEConfig {
        Qwen3MoEConfig(vocabSize: 50, hiddenSize: 16, intermediateSize: 12, moeIntermediateSize: 8, numHiddenLayers: 2,
                       numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8, numExperts: 4, numExpertsPerTok: 2,
                       normTopkProb: normTopK, mlpOnlyLayers: [1], maxPositionEmbeddings: 64)
    }

    static let batch: [Datum] = {
        var rng = PhiloxRNG(seed: 4)
        return [7, 11].map { t in
            let ids = (0..<(t + 1)).map { _ in Int(rng.nextUInt32() % 50) }
            var d = Datum(sequence: ids)
            d.weights = d.weights.enumerated().map { $0.offset % 3 == 2 ? 0 : 0.5 + Float($0.offset % 4) * 0.25 }
            return d
        }
    }()

    func directionalCheck(name: String, value: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, count: Int,
                          loss: () throws -> Double) rethrows -> (Double, Double) {
        var rng = PhiloxRNG(seed: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        let dir = (0..<count).map { _ in rng.nextGaussian() }
        let norm = Float(dir.reduce(0) { $0 + Double($1 * $1) }.squareRoot())
        let eps: Float = 1e-2
        let saved = Array(UnsafeBufferPointer(start: value, count: count))
        for i in 0..<count { value[i] = saved[i] + eps * dir[i] / norm }
        let plus = try loss()
        for i in 0..<count { value[i] = saved[i] - eps * dir[i] / norm }
        let minus = try loss()
        for i in 0..<count { value[i] = saved[i] }
        let numeric = (plus - minus) / Double(2 * eps)
        var analytic = 0.0
        for i in 0..<count { analytic += Double(grad[i]) * Double(dir[i] / norm) }
        return (numeric, analytic)
    }

    @Test(arguments: [true, false])
    func fullParameterGradients(normTopK: Bool) throws {
        let model = Qwen3MoEModel.random(config: GradientTests.config(normTopK: normTopK), seed: 3, std: 0.3)
        let grads = ModelGradients(model: model)
        let graph = TrainingGraph(model: model, gradients: grads, auxLossCoef: 0.05)
        _ = try graph.run(GradientTests.batch)
        let lossOnly = TrainingGraph(model: model, auxLossCoef: 0.05)
        let params = try model.parameters()
        let named = Dictionary(uniqueKeysWithValues: grads.named.map { ($0.0, $0.1) })
        var worst = 0.0
        for (name, ptr, count) in params {
            let (num, ana) = try directionalCheck(name: name, value: ptr, grad: named[name]!.pointer, count: count) {
                try lossOnly.run(GradientTests.batch, backward: false).loss
            }
            let rel = abs(num - ana) / max(abs(num), 1e-2)
            worst = max(worst, rel)
            #expect(rel < 2e-2, "\(name): finite difference \(num), backward \(ana)")
        }
        print("full-parameter gradients (norm_topk_prob=\(normTopK)): worst relative error \(worst) over \(params.count) tensors")
    }

    @Test func loraGradients() throws {
        let model = Qwen3MoEModel.random(config: GradientTests.config(normTopK: true), seed: 5, std: 0.3)
        let adapter = try LoRAAdapter(config: LoRAConfig(rank: 3, alpha: 6, targets: LoRATarget.allCases), model: model.config, seed: 9)
        var rng = PhiloxRNG(seed: 10)
        for m in adapter.modules { for i in 0..<m.b.count { m.b[i] = rng.nextGaussian() * 0.2 } }   // B ≠ 0: A gets gradient
        let graph = TrainingGraph(model: model, adapter: adapter)
        _ = try graph.run(GradientTests.batch)
        var worst = 0.0
        for m in adapter.modules {
            for (label, value, grad) in [("A", m.a, m.gradA), ("B", m.b, m.gradB)] {
                let (num, ana) = try directionalCheck(name: m.path + label, value: value.pointer, grad: grad.pointer,
                                                      count: value.count) {
                    try graph.run(GradientTests.batch, backward: false).loss
                }
                let rel = abs(num - ana) / max(abs(num), 1e-2)
                worst = max(worst, rel)
                #expect(rel < 2e-2, "\(m.path).lora_\(label): finite difference \(num), backward \(ana)")
            }
        }
        print("LoRA gradients: worst relative error \(worst) over \(adapter.modules.count * 2) tensors")
    }

    @Test func forwardOfTrainingGraphEqualsInference() throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        let expected = try Fixtures.expected("moe-a")
        let batch = expected.sequences.filter { $0.ids.count > 1 }.map { Datum(sequence: $0.ids) }
        let out = try TrainingGraph(model: model).run(batch, backward: false)
        var worst = 0.0
        for (got, seq) in zip(out.logprobs, expected.sequences.filter { $0.ids.count > 1 }) {
            worst = max(worst, maxAbsDiff(got, seq.logprobs))
        }
        print("training-graph forward vs transformers: max |Δ logprob| = \(worst)")
        #expect(worst <= 1e-4)
        #expect(abs(out.loss + expected.sequences.filter { $0.ids.count > 1 }.flatMap(\.logprobs).reduce(0, +)) < 1e-3)
    }
}
