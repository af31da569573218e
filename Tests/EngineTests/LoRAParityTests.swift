import Foundation
import Testing
import Tensor
@testable import Engine

/// LoRA against transformers 5.23 + PEFT 0.21.2 in float64 (`Tests/Fixtures/generate_lora_fixtures.py`).
struct LoRAParityTests {
    static let root = Fixtures.root.appendingPathComponent("lora")
    static let model = try! Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))

    struct Sequence: Decodable { var ids: [Int]; var logprobs: [Double]; var final_logits: [Double] }
    struct LossSequence: Decodable { var ids: [Int]; var target_ids: [Int]; var weights: [Double] }
    struct LossBatch: Decodable { var sequences: [LossSequence]; var loss: Double?; var grads: [String: [Double]]? }
    struct Expected: Decodable { var sequences: [Sequence]?; var loss_batch: LossBatch? }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: root.appendingPathComponent("\(name)/expected.json")))
    }

    static func datums(_ b: LossBatch) -> [Datum] {
        b.sequences.map { s in
            Datum(tokens: Array(s.ids.dropLast()), targets: s.target_ids, weights: s.weights.map(Float.init))
        }
    }

    @Test(arguments: ["lora-a", "lora-a-fused", "lora-rslora"])
    func logprobsWithAdapterMatchPEFT(name: String) throws {
        let adapter = try PEFTAdapter.load(directory: LoRAParityTests.root.appendingPathComponent(name),
                                           model: LoRAParityTests.model.config)
        let seqs = try LoRAParityTests.expected(name).sequences!
        let graph = TrainingGraph(model: LoRAParityTests.model, adapter: adapter)
        let out = try graph.run(seqs.map { Datum(sequence: $0.ids) }, backward: false)
        var worst = 0.0
        for (got, s) in zip(out.logprobs, seqs) { worst = max(worst, maxAbsDiff(Array(got.prefix(s.ids.count - 1)), s.logprobs)) }
        print("LoRA \(name): \(adapter.modules.count) modules, max |Δ logprob| vs PEFT = \(worst)")
        #expect(worst <= 1e-4)
    }

    /// dL/dA and dL/dB for every module (attention, dense MLP, every expert's gate/up/down, lm_head) with the
    /// weighted-sum loss: max |Δ| relative to the largest gradient of the tensor ≤ 1e-4.
    @Test func gradientsMatchPEFT() throws {
        let adapter = try PEFTAdapter.load(directory: LoRAParityTests.root.appendingPathComponent("lora-a"),
                                           model: LoRAParityTests.model.config)
        let batch = try LoRAParityTests.expected("lora-a").loss_batch!
        let out = try TrainingGraph(model: LoRAParityTests.model, adapter: adapter).run(LoRAParityTests.datums(batch))
        #expect(abs(out.loss - batch.loss!) / batch.loss! < 1e-6)
        var worst = 0.0, worstName = ""
        var checked = 0
        for m in adapter.modules {
            for (suffix, grad) in [("lora_A", m.gradA), ("lora_B", m.gradB)] {
                let key = "base_model.model.\(m.path).\(suffix).weight"
                let want = try #require(batch.grads![key], "missing reference gradient \(key)")
                let scale = want.map(abs).max()!
                let rel = maxAbsDiff(grad.array, want) / max(scale, 1e-12)
                if rel > worst { worst = rel; worstName = key }
                checked += 1
            }
        }
        print("LoRA gradients vs PEFT: \(checked) tensors, worst relative error \(worst) (\(worstName)); loss \(out.loss) vs \(batch.loss!)")
        #expect(checked == batch.grads!.count)
        #expect(worst <= 1e-4)
    }

    /// Loss after each of 6 AdamW steps (lr 1e-2, weight decay 0.01), with and without grad-norm clipping, vs PyTorch.
    @Test(arguments: [false, true])
    func adamWTrajectoryMatchesPyTorch(clipped: Bool) throws {
        struct AdamFixture: Decodable {
            var loss_batch: LossBatch; var losses: [Double]; var losses_clipped: [Double]; var grad_norms_clipped: [Double]
            var final: [String: [Double]]; var final_clipped: [String: [Double]]; var clip_max_norm: Double
        }
        let f = try JSONDecoder().decode(AdamFixture.self, from: Data(contentsOf: LoRAParityTests.root.appendingPathComponent("adamw/expected.json")))
        let adapter = try PEFTAdapter.load(directory: LoRAParityTests.root.appendingPathComponent("adamw"),
                                           model: LoRAParityTests.model.config)
        let graph = TrainingGraph(model: LoRAParityTests.model, adapter: adapter)
        let opt = AdamW(sizes: adapter.modules.flatMap { [$0.a.count, $0.b.count] })
        let params = AdamParams(learningRate: 1e-2, weightDecay: 0.01, gradClipNorm: clipped ? f.clip_max_norm : 0)
        let batch = LoRAParityTests.datums(f.loss_batch)
        var losses: [Double] = [], norms: [Double] = []
        for _ in 0..<6 {
            adapter.zeroGrad()
            losses.append(try graph.run(batch).loss)
            let tensors = adapter.modules.flatMap { m in
                [OptimizedTensor(name: m.path + ".lora_A", value: m.a.pointer, grad: m.gradA.pointer, count: m.a.count),
                 OptimizedTensor(name: m.path + ".lora_B", value: m.b.pointer, grad: m.gradB.pointer, count: m.b.count)]
            }
            norms.append(try opt.update(tensors, params).gradNorm)
        }
        let want = clipped ? f.losses_clipped : f.losses
        let worst = zip(losses, want).map { abs($0 - $1) / abs($1) }.max()!
        print("AdamW\(clipped ? " + clip" : ""): losses \(losses.map { String(format: "%.5f", $0) }) vs PyTorch, worst relative \(worst)")
        #expect(worst < 1e-5)
        if clipped {
            // Norms are of gradients 6 fp32 optimizer steps in: 1e-4 relative (observed ≤ 3e-5).
            #expect(zip(norms, f.grad_norms_clipped).allSatisfy { abs($0 - $1) / $1 < 1e-4 }, "\(norms) vs \(f.grad_norms_clipped)")
        }
        let final = clipped ? f.final_clipped : f.final
        var worstParam = 0.0
        for m in adapter.modules {
            worstParam = max(worstParam, maxAbsDiff(m.a.array, final["base_model.model.\(m.path).lora_A.weight"]!))
            worstParam = max(worstParam, maxAbsDiff(m.b.array, final["base_model.model.\(m.path).lora_B.weight"]!))
        }
        print("AdamW\(clipped ? " + clip" : ""): final adapter max |Δ| = \(worstParam)")
        #expect(worstParam < 1e-5)
    }

    /// transformers' load-balancing loss and its gradient w.r.t. the router weights.
    @Test func loadBalancingLossMatchesTransformers() throws {
        struct Case: Decodable {
            var ids: [[Int]]; var aux_loss_f64: Double; var loss_f64: Double
            var grad_aux_f64: [String: [Double]]; var grad_loss_f64: [String: [Double]]
        }
        struct Fixture: Decodable { var single: Case; var batch: Case; var router_aux_loss_coef: Double }
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: LoRAParityTests.root.appendingPathComponent("aux-loss/expected.json")))
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        for c in [f.single, f.batch] {
            let targets = c.ids.reduce(0) { $0 + $1.count - 1 }
            // transformers routes every input position, the last one too (it has no target): feed all T tokens, the
            // last with weight 0. Mean CE comes through the weights.
            func datum(_ ids: [Int], _ w: Float) -> Datum {
                Datum(tokens: ids, targets: Array(ids.dropFirst()) + [0], weights: [Float](repeating: w, count: ids.count - 1) + [0])
            }
            let batch = c.ids.map { datum($0, 1 / Float(targets)) }
            // Gradient of the aux loss alone: coefficient 1, CE weights 0.
            let auxOnly = ModelGradients(model: model)
            let zeroCE = c.ids.map { datum($0, 0) }
            let a = try TrainingGraph(model: model, gradients: auxOnly, auxLossCoef: 1).run(zeroCE)
            #expect(abs(a.auxLoss! - c.aux_loss_f64) < 1e-6)
            let total = ModelGradients(model: model)
            let t = try TrainingGraph(model: model, gradients: total, auxLossCoef: Float(f.router_aux_loss_coef)).run(batch)
            #expect(abs(t.loss - c.loss_f64) < 1e-5)
            let gA = Dictionary(uniqueKeysWithValues: auxOnly.named), gT = Dictionary(uniqueKeysWithValues: total.named)
            var worst = 0.0
            for (name, want) in c.grad_aux_f64 { worst = max(worst, maxAbsDiff(gA[name]!.array, want) / want.map(abs).max()!) }
            for (name, want) in c.grad_loss_f64 { worst = max(worst, maxAbsDiff(gT[name]!.array, want) / want.map(abs).max()!) }
            print("load-balancing loss \(a.auxLoss!) vs \(c.aux_loss_f64); router/norm gradients worst relative error \(worst)")
            #expect(worst < 1e-4)
        }
    }
}

/// Mid-run sampling contract: with an adapter, the sampler's logprobs equal the training graph's (≤ 1e-5) and a
/// disabled adapter is exactly the base model.
struct AdapterSamplingTests {
    @Test func sampledLogprobsWithAdapterEqualTrainingGraph() throws {
        let model = LoRAParityTests.model
        let adapter = try PEFTAdapter.load(directory: LoRAParityTests.root.appendingPathComponent("lora-a"), model: model.config)
        let pool = ThreadPool(threads: 2)
        defer { pool.shutdown() }
        let prompt = [3, 1, 4, 1, 5, 9, 2, 6]
        for t: Float in [0, 0.7, 1.2] {
            let s = try Generator(model: model, pool: pool).generate(
                prompt: prompt, params: SamplingParams(maxTokens: 16, temperature: t, seed: 21), adapter: adapter)[0]
            let seq = prompt + s.ids
            let ref = try TrainingGraph(model: model, adapter: adapter).run([Datum(sequence: seq)], backward: false)
                .logprobs[0].suffix(s.ids.count)
            let worst = zip(ref, s.logprobs).map { abs($0 - $1) }.max()!
            print("adapter sampling at T=\(t): max |Δ| vs training graph = \(worst)")
            #expect(worst <= 1e-5)
        }
        adapter.enabled = false
        let off = try model.logprobs(prompt, adapter: adapter).logprobs
        #expect(off == (try model.logprobs(prompt).logprobs))
    }
}
