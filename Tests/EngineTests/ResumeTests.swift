import Foundation
import Testing
import Tensor
@testable import Engine

/// Resume is bit-exact: 10 steps straight equals 5 + save + load + 5, bitwise, at a fixed thread count.
struct ResumeTests {
    static func batch(step: Int) -> [Datum] {
        var rng = PhiloxRNG(seed: UInt64(100 + step))
        return (0..<3).map { _ in Datum(sequence: (0..<12).map { _ in Int(rng.nextUInt32() % 256) }, weight: 1.0 / 33) }
    }

    @Test func tenStepsEqualFivePlusSaveLoadPlusFive() throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        let pool = ThreadPool(threads: 1)
        defer { pool.shutdown() }
        let config = LoRAConfig(rank: 4, alpha: 8, targets: LoRATarget.allCases, useRSLoRA: true)
        let params = AdamParams(learningRate: 5e-3, weightDecay: 0.01, gradClipNorm: 1)
        func train(_ a: TrainableAdapter, _ steps: Range<Int>) throws -> [Double] {
            try steps.map { s in
                let loss = try a.forwardBackward(ResumeTests.batch(step: s)).loss
                try a.optimStep(params)
                return loss
            }
        }
        let straight = try Session(base: model, pool: pool, seed: 1).createAdapter("p", config)
        let lossesStraight = try train(straight, 0..<10)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-resume-\(UUID().uuidString)/step-000005")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let first = try Session(base: model, pool: pool, seed: 1).createAdapter("p", config)
        var losses = try train(first, 0..<5)
        try first.saveState(to: dir, baseModel: "moe-a", callerState: Data("cursor=5".utf8))
        let resumed = try Session(base: model, pool: pool, seed: 99).createAdapter("p", config)   // other init: must be overwritten
        let caller = try resumed.loadState(from: dir)
        #expect(caller == Data("cursor=5".utf8))
        #expect(resumed.step == 5 && resumed.version == 5)
        losses += try train(resumed, 5..<10)

        #expect(losses == lossesStraight)
        for (a, b) in zip(straight.lora.modules, resumed.lora.modules) {
            #expect(a.a.array == b.a.array && a.b.array == b.b.array, "\(a.path) differs after resume")
        }
        for k in 0..<straight.optimizer.m.count {
            #expect(straight.optimizer.m[k].array == resumed.optimizer.m[k].array)
            #expect(straight.optimizer.v[k].array == resumed.optimizer.v[k].array)
        }
        // The checkpoint's PEFT copy gives the same logprobs as the adapter it came from (rsLoRA α compensated).
        let peft = try PEFTAdapter.load(directory: dir, model: model.config)
        let ids = [1, 2, 3, 4, 5, 6, 7]
        let a = try model.logprobs(ids, adapter: first.lora).logprobs, b = try model.logprobs(ids, adapter: peft).logprobs
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func incompleteOrMismatchedCheckpointsAreErrors() throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        let pool = ThreadPool(threads: 1)
        defer { pool.shutdown() }
        let s = Session(base: model, pool: pool)
        let a = try s.createAdapter("a", LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v]))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: LatheError("\(dir.path)/state.json: missing (not a complete checkpoint)")) {
            try AdapterCheckpoint.load(into: a, from: dir)
        }
        try AdapterCheckpoint.save(a, to: dir, baseModel: "moe-a")
        let other = try s.createAdapter("b", LoRAConfig(rank: 3, alpha: 4, targets: [.q, .v]))
        #expect(throws: LatheError("\(dir.path)/state.json: the checkpoint's LoRA config differs from the run's")) {
            try AdapterCheckpoint.load(into: other, from: dir)
        }
    }
}

/// NaN/Inf stop training with a message naming the step and the tensor, before any weight changes.
struct NonFiniteTests {
    @Test func nonFiniteGradientNamesTheTensorAndChangesNothing() throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        let pool = ThreadPool(threads: 1)
        defer { pool.shutdown() }
        let a = try Session(base: model, pool: pool).createAdapter("a", LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v]))
        _ = try a.forwardBackward([Datum(sequence: [1, 2, 3, 4, 5])])
        let before = a.lora.modules.map { $0.a.array }
        a.lora.modules[1].gradB[3] = .nan
        #expect(throws: LatheError("non-finite gradient in model.layers.0.self_attn.v_proj.lora_B at step 1")) {
            try a.optimStep(AdamParams(learningRate: 1e-3))
        }
        #expect(a.lora.modules.map { $0.a.array } == before)
        #expect(a.version == 0)
    }

    @Test func nonFiniteLossIsAnError() throws {
        let model = try Qwen3MoEModel.load(directory: Fixtures.model("moe-a"))
        let pool = ThreadPool(threads: 1)
        defer { pool.shutdown() }
        let a = try Session(base: model, pool: pool).createAdapter("a", LoRAConfig(rank: 2, alpha: 4, targets: [.lmHead]))
        a.lora.lmHead!.b[0] = .infinity
        a.lora.lmHead!.a[0] = 1
        #expect(throws: LatheError.self) { try a.forwardBackward([Datum(sequence: [1, 2, 3, 4, 5])]) }
    }
}
