import Durability
import Foundation
import Tensor
import Tokenizer

/// Lathe's engine API, mirroring Tinker's primitives in-process: one read-only base model shared by any number of
/// named adapters, each with its own optimizer state and a version bumped by every optimizer step.
/// Not thread-safe by itself: the engine worker (`EngineWorker`) serialises calls.
public final class Session: @unchecked Sendable {
    public let base: Qwen3MoEModel
    public let baseDirectory: URL?
    public let tokenizer: Tokenizer?
    public let pool: ThreadPool
    public let generator: Generator
    public private(set) var adapters: [String: TrainableAdapter] = [:]
    public let seed: UInt64

    public init(base: Qwen3MoEModel, baseDirectory: URL? = nil, tokenizer: Tokenizer? = nil, pool: ThreadPool, seed: UInt64 = 0) {
        self.base = base; self.baseDirectory = baseDirectory; self.tokenizer = tokenizer; self.pool = pool; self.seed = seed
        generator = Generator(model: base, pool: pool, tokenizer: tokenizer)
    }

    /// Loads an HF model directory (and its tokenizer.json when present) as the base.
    public convenience init(baseDirectory: URL, precision: WeightPrecision = .f32, pool: ThreadPool, seed: UInt64 = 0) throws {
        let model = try Qwen3MoEModel.load(directory: baseDirectory, precision: precision)
        let tokURL = baseDirectory.appendingPathComponent("tokenizer.json")
        var tokenizer: Tokenizer?
        if FileManager.default.fileExists(atPath: tokURL.path) {
            do { tokenizer = try Tokenizer(contentsOf: tokURL) } catch { throw LatheError("\(error)") }
        }
        self.init(base: model, baseDirectory: baseDirectory, tokenizer: tokenizer, pool: pool, seed: seed)
    }

    public func createAdapter(_ name: String, _ config: LoRAConfig, seed: UInt64? = nil) throws -> TrainableAdapter {
        guard adapters[name] == nil else { throw LatheError("adapter \"\(name)\" already exists") }
        let lora = try LoRAAdapter(config: config, model: base.config, seed: seed ?? self.seed)
        let a = TrainableAdapter(name: name, session: self, lora: lora, seed: seed ?? self.seed)
        adapters[name] = a
        return a
    }

    /// Adds an adapter read from a PEFT directory (per-expert or fused layout).
    public func importAdapter(_ name: String, from directory: URL) throws -> TrainableAdapter {
        guard adapters[name] == nil else { throw LatheError("adapter \"\(name)\" already exists") }
        let a = TrainableAdapter(name: name, session: self, lora: try PEFTAdapter.load(directory: directory, model: base.config),
                                 seed: seed)
        adapters[name] = a
        return a
    }

    public func removeAdapter(_ name: String) { adapters[name] = nil }

    /// Sampling from the base model (adapters off: the free reference policy).
    public func sample(prompt: [Int], params: SamplingParams, count: Int = 1,
                       onToken: Generator.TokenCallback? = nil) throws -> [Completion] {
        try generator.generate(prompt: prompt, params: params, count: count, onToken: onToken)
    }

    public func computeLogprobs(_ ids: [Int]) throws -> [Float] {
        try TrainingGraph(model: base).run([Datum(sequence: ids)], backward: false).logprobs[0]
    }
}


/// A named LoRA adapter being trained: forward_backward accumulates gradients, optim_step applies them.
public final class TrainableAdapter: @unchecked Sendable {
    public let name: String
    let base: Qwen3MoEModel
    let generator: Generator
    public let lora: LoRAAdapter
    public let optimizer: AdamW
    public private(set) var pendingGradients = false

    init(name: String, session: Session, lora: LoRAAdapter, seed: UInt64) {
        self.name = name; self.base = session.base; self.generator = session.generator; self.lora = lora
        optimizer = AdamW(sizes: lora.modules.flatMap { [$0.a.count, $0.b.count] })
    }

    public var version: Int { lora.version }
    public var step: Int { optimizer.step }

    /// Accumulates the gradient of the summed loss −Σ wᵢ·log pᵢ; returns the loss and per-token logprobs.
    public func forwardBackward(_ batch: [Datum], loss: LossFunction = .crossEntropy, kl: KLPenalty? = nil,
                                recordRouting: Bool = false) throws -> ForwardBackwardOutput {
        let out = try TrainingGraph(model: base, adapter: lora).run(batch, loss: loss, kl: kl, recordRouting: recordRouting)
        pendingGradients = true
        return out
    }

    /// Forward only: the trainer's logprobs (what the sampler reports for the same tokens).
    public func computeLogprobs(_ ids: [Int]) throws -> [Float] {
        try TrainingGraph(model: base, adapter: lora).run([Datum(sequence: ids)], backward: false).logprobs[0]
    }

    public var optimizedTensors: [OptimizedTensor] {
        lora.modules.flatMap { m in
            [OptimizedTensor(name: m.path + ".lora_A", value: m.a.pointer, grad: m.gradA.pointer, count: m.a.count),
             OptimizedTensor(name: m.path + ".lora_B", value: m.b.pointer, grad: m.gradB.pointer, count: m.b.count)]
        }
    }

    /// Applies the accumulated gradients (AdamW), zeroes them and bumps the version. A non-finite gradient throws
    /// before anything is changed.
    @discardableResult
    public func optimStep(_ params: AdamParams) throws -> AdamW.StepReport {
        try params.validate()
        let report = try optimizer.update(optimizedTensors, params)
        lora.zeroGrad()
        lora.version += 1
        pendingGradients = false
        FaultInjection.crashPoint("optimizer-step")
        return report
    }

    /// Global and per-module-type gradient norms of the accumulated gradients.
    public func gradientNorms() -> (global: Double, byGroup: [String: Double]) {
        var groups: [String: Double] = [:]
        var total = 0.0
        for m in lora.modules {
            var s = 0.0
            for i in 0..<m.gradA.count { s += Double(m.gradA[i]) * Double(m.gradA[i]) }
            for i in 0..<m.gradB.count { s += Double(m.gradB[i]) * Double(m.gradB[i]) }
            groups[LoRAAdapter.group(of: m), default: 0] += s
            total += s
        }
        return (total.squareRoot(), groups.mapValues { $0.squareRoot() })
    }

    /// Adapter, AdamW moments, step and version (plus an opaque caller state): `loadState` resumes bit-exactly.
    public func saveState(to directory: URL, baseModel: String = "", callerState: Data? = nil) throws {
        try AdapterCheckpoint.save(self, to: directory, baseModel: baseModel, callerState: callerState)
    }

    @discardableResult
    public func loadState(from directory: URL) throws -> Data? {
        try AdapterCheckpoint.load(into: self, from: directory)
    }

    public func sample(prompt: [Int], params: SamplingParams, count: Int = 1,
                       onToken: Generator.TokenCallback? = nil) throws -> [Completion] {
        try generator.generate(prompt: prompt, params: params, count: count, adapter: lora, onToken: onToken)
    }
}
