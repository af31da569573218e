import Foundation
import Testing
import Tensor
@testable import Engine

/// Injected input embeddings, linear heads on the hidden state, a KL penalty in the loss and router records: each
/// gradient against central finite differences (GradientTests' directional check and tolerance).
struct GraphExtensionTests {
    let checker = GradientTests()

    /// Seed 5, as GradientTests: no top-k routing decision flips within ±ε (seed 21 flips one in layer 0 and the
    /// finite difference of a discontinuous loss means nothing).
    func model(seed: UInt64 = 5) -> Qwen3MoEModel {
        Qwen3MoEModel.random(config: GradientTests.config(normTopK: true), seed: seed, std: 0.3)
    }

    func adapter(_ model: Qwen3MoEModel) throws -> LoRAAdapter {
        let a = try LoRAAdapter(config: LoRAConfig(rank: 2, alpha: 4, targets: LoRATarget.attention + [.mlp]), model: model.config, seed: 3)
        var rng = PhiloxRNG(seed: 12)
        for m in a.modules { for i in 0..<m.b.count { m.b[i] = rng.nextGaussian() * 0.2 } }
        return a
    }

    func row(_ m: Qwen3MoEModel, _ id: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m.config.hiddenSize)
        out.withUnsafeMutableBufferPointer { m.embedding.rows(id ..< id + 1).widen(into: $0.baseAddress!) }
        return out
    }

    @Test func injectingTheTokensOwnRowsChangesNothing() throws {
        let m = model()
        let h = m.config.hiddenSize
        var d = GradientTests.batch[0]
        let positions = [1, 2, 5]
        var values: [Float] = []
        for p in positions { values += row(m, d.tokens[p]) }
        let plain = try TrainingGraph(model: m).run([d], backward: false)
        d.injected = InjectedEmbeddings(positions: positions, values: values)
        let injected = try TrainingGraph(model: m).run([d], backward: false)
        #expect(plain.logprobs == injected.logprobs)
        // The inference forward agrees with the graph on injected inputs.
        var all: [Float] = []
        for (i, t) in d.tokens.enumerated() {
            if let j = positions.firstIndex(of: i) { all += values[(j * h)..<((j + 1) * h)] } else {
                all += row(m, t)
            }
        }
        let fwd = try m.forward(.embeddings(all))
        let v = m.config.vocabSize
        for i in 0..<d.tokens.count {
            let row = fwd.logits!.pointer + i * v
            let lp = row[d.targets[i]] - Kernels.logSumExp(row, v)
            #expect(abs(lp - injected.logprobs[0][i]) < 1e-5)
        }
    }

    @Test func injectedGradientsMatchFiniteDifferences() throws {
        let m = model()
        let lora = try adapter(m)
        var batch = GradientTests.batch
        var rng = PhiloxRNG(seed: 8)
        batch[1].injected = InjectedEmbeddings(positions: [0, 3, 4], values: (0..<(3 * m.config.hiddenSize)).map { _ in rng.nextGaussian() })
        let graph = TrainingGraph(model: m, adapter: lora)
        let out = try graph.run(batch)
        #expect(out.injectedGradients[0].isEmpty)
        var values = batch[1].injected!.values
        let grad = out.injectedGradients[1]
        let (num, ana) = try values.withUnsafeMutableBufferPointer { v in
            try grad.withUnsafeBufferPointer { g in
                try checker.directionalCheck(name: "injected", value: v.baseAddress!, grad: g.baseAddress!, count: v.count) {
                    var b = batch
                    b[1].injected!.values = Array(v)
                    return try graph.run(b, backward: false).loss
                }
            }
        }
        _ = values
        print("injected embeddings: finite difference \(num), backward \(ana)")
        #expect(abs(num - ana) / max(abs(num), 1e-2) < 2e-2)
    }

    @Test func headGradientsMatchFiniteDifferences() throws {
        let m = model()
        let lora = try adapter(m)
        let head = LinearHead(inputs: m.config.hiddenSize, outputs: 2, seed: 4, std: 0.5)
        let positions = [[6], [2, 10]]
        let targets: [[[Float]]] = [[[0.5, -1]], [[1, 0], [-0.25, 2]]]
        // A squared error on both outputs: loss = Σ (y − t)², d/dy = 2(y − t).
        func objective(_ ys: [[[Float]]]) -> (loss: Double, gradients: [[[Float]]]) {
            var loss = 0.0
            var g: [[[Float]]] = []
            for (b, rows) in ys.enumerated() {
                g.append(rows.enumerated().map { j, y in
                    y.indices.map { o in
                        let d = y[o] - targets[b][j][o]; loss += Double(d * d); return 2 * d
                    }
                })
            }
            return (loss, g)
        }
        let graph = TrainingGraph(model: m, adapter: lora)
        _ = try graph.runHead(GradientTests.batch, positions: positions, head: head, objective: objective)
        func loss() throws -> Double {
            try graph.runHead(GradientTests.batch, positions: positions, head: head, backward: false, objective: objective).loss
        }
        var checks: [(String, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int)] = [
            ("head.weight", head.weight.pointer, head.gradWeight.pointer, head.weight.count),
            ("head.bias", head.bias.pointer, head.gradBias.pointer, head.bias.count),
        ]
        for mod in lora.modules.prefix(6) {
            checks.append((mod.path + ".A", mod.a.pointer, mod.gradA.pointer, mod.a.count))
            checks.append((mod.path + ".B", mod.b.pointer, mod.gradB.pointer, mod.b.count))
        }
        var worst = 0.0
        for (name, value, grad, count) in checks {
            let (num, ana) = try checker.directionalCheck(name: name, value: value, grad: grad, count: count, loss: loss)
            let rel = abs(num - ana) / max(abs(num), 1e-2)
            worst = max(worst, rel)
            #expect(rel < 2e-2, "\(name): finite difference \(num), backward \(ana)")
        }
        print("linear head: worst relative error \(worst) over \(checks.count) tensors")
    }

    @Test(arguments: KLEstimator.allCases)
    func klPenaltyInTheLossMatchesFiniteDifferences(estimator: KLEstimator) throws {
        let m = model()
        let lora = try adapter(m)
        // Reference = the same model with the adapter off.
        lora.enabled = false
        let ref = try TrainingGraph(model: m, adapter: lora).run(GradientTests.batch, backward: false).logprobs
        lora.enabled = true
        var batch = GradientTests.batch
        for i in batch.indices { batch[i].referenceLogprobs = ref[i] }
        let kl = KLPenalty(coef: 0.7, estimator: estimator)
        let graph = TrainingGraph(model: m, adapter: lora)
        let out = try graph.run(batch, kl: kl)
        // The reported KL is Σ wᵢ·k(ℓᵢ, refᵢ) recomputed by hand.
        var expected = 0.0
        for (b, d) in batch.enumerated() {
            for i in d.weights.indices where d.weights[i] != 0 {
                expected += Double(d.weights[i]) * estimator.value(logprob: out.logprobs[b][i], referenceLogprob: ref[b][i])
            }
        }
        #expect(abs(out.kl! - expected) < 1e-9 * max(1, abs(expected)))
        if estimator == .k3 { #expect(out.kl! > 0) }
        var worst = 0.0
        for mod in lora.modules.prefix(8) {
            let (num, ana) = try checker.directionalCheck(name: mod.path + "A", value: mod.a.pointer, grad: mod.gradA.pointer,
                                                          count: mod.a.count) {
                try graph.run(batch, backward: false, kl: kl).loss
            }
            let rel = abs(num - ana) / max(abs(num), 1e-2)
            worst = max(worst, rel)
            #expect(rel < 2e-2, "\(mod.path): finite difference \(num), backward \(ana)")
        }
        print("KL \(estimator) in the loss: worst relative error \(worst)")
    }

    @Test func routerRecordsGiveEntropyAndDrift() throws {
        let m = model()
        let lora = try adapter(m)
        let graph = TrainingGraph(model: m, adapter: lora)
        let withLoRA = try graph.run(GradientTests.batch, backward: false, recordRouting: true).routing
        lora.enabled = false
        let base = try graph.run(GradientTests.batch, backward: false, recordRouting: true).routing
        let again = try graph.run(GradientTests.batch, backward: false, recordRouting: true).routing
        lora.enabled = true
        #expect(withLoRA.count == 1)   // one sparse layer (layer 1 is dense)
        let e = Double(m.config.numExperts)
        #expect(base[0].meanEntropy > 0 && base[0].meanEntropy <= log(e) + 1e-9)
        #expect(base[0].drift(from: again[0]).kl == 0 && base[0].drift(from: again[0]).changed == 0)
        let d = withLoRA[0].drift(from: base[0])
        #expect(d.kl > 0)
        #expect((0...1).contains(d.changed))
    }
}
