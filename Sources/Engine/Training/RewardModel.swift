import Durability
import Foundation
import Tensor

/// A reward model: the read-only base MoE with its own LoRA and a scalar head on the final normed hidden state of
/// a sequence's last token, r(x) = w·h_T + b, trained Bradley–Terry on preference pairs:
///   L = −(1/P)·Σ log σ(r(chosen) − r(rejected)).
/// One AdamW covers the LoRA and the head (global clipping over both).
public final class RewardModel: @unchecked Sendable {
    public let base: Qwen3MoEModel
    public let lora: LoRAAdapter
    public let head: LinearHead
    let optimizer: AdamW
    public var step: Int { optimizer.step }

    /// A preference: two token sequences (prompt + completion, each scored at its last token), the first preferred.
    public struct Pair: Sendable, Equatable {
        public var chosen: [Int], rejected: [Int]
        public init(chosen: [Int], rejected: [Int]) { self.chosen = chosen; self.rejected = rejected }
    }

    public init(base: Qwen3MoEModel, lora config: LoRAConfig, seed: UInt64) throws {
        self.base = base
        lora = try LoRAAdapter(config: config, model: base.config, seed: seed)
        head = LinearHead(inputs: base.config.hiddenSize, outputs: 1, seed: seed)
        optimizer = AdamW(sizes: lora.modules.flatMap { [$0.a.count, $0.b.count] } + [head.weight.count, head.bias.count])
    }

    var optimizedTensors: [OptimizedTensor] {
        lora.modules.flatMap { m in
            [OptimizedTensor(name: m.path + ".lora_A", value: m.a.pointer, grad: m.gradA.pointer, count: m.a.count),
             OptimizedTensor(name: m.path + ".lora_B", value: m.b.pointer, grad: m.gradB.pointer, count: m.b.count)]
        } + head.optimizedTensors
    }

    static func datum(_ seq: [Int]) -> Datum {
        Datum(tokens: seq, targets: seq, weights: [Float](repeating: 0, count: seq.count))
    }

    /// Scores of whole sequences (batched `chunk` at a time).
    public func scores(_ sequences: [[Int]], chunk: Int = 16) throws -> [Float] {
        var out: [Float] = []
        for start in stride(from: 0, to: sequences.count, by: chunk) {
            let part = Array(sequences[start..<min(start + chunk, sequences.count)])
            let r = try TrainingGraph(model: base, adapter: lora).runHead(
                part.map(Self.datum), positions: part.map { [$0.count - 1] }, head: head, backward: false) { _ in (0, []) }
            out += r.outputs.map { $0[0][0] }
        }
        return out
    }

    /// Fraction of pairs whose chosen sequence scores above the rejected one (ties count half).
    public func accuracy(_ pairs: [Pair]) throws -> Double {
        guard !pairs.isEmpty else { return .nan }
        let s = try scores(pairs.flatMap { [$0.chosen, $0.rejected] })
        var right = 0.0
        for i in pairs.indices { right += s[2 * i] > s[2 * i + 1] ? 1 : s[2 * i] == s[2 * i + 1] ? 0.5 : 0 }
        return right / Double(pairs.count)
    }

    /// One optimizer step of the Bradley–Terry loss over `pairs` (forward-backward in chunks of `chunk` pairs);
    /// returns the mean loss and the pairs' accuracy before the step.
    @discardableResult
    public func trainStep(_ pairs: [Pair], params: AdamParams, chunk: Int = 8) throws -> (loss: Double, accuracy: Double) {
        guard !pairs.isEmpty else { throw LatheError("reward model: no preference pairs to train on") }
        try params.validate()
        let scale = 1 / Double(pairs.count)
        var loss = 0.0, right = 0.0
        for start in stride(from: 0, to: pairs.count, by: chunk) {
            let part = pairs[start..<min(start + chunk, pairs.count)]
            let seqs = part.flatMap { [$0.chosen, $0.rejected] }
            _ = try TrainingGraph(model: base, adapter: lora).runHead(
                seqs.map(Self.datum), positions: seqs.map { [$0.count - 1] }, head: head) { outputs in
                var l = 0.0
                var grads: [[[Float]]] = []
                for p in 0..<part.count {
                    let margin = Double(outputs[2 * p][0][0] - outputs[2 * p + 1][0][0])
                    // −log σ(m) = softplus(−m), computed stably; d/dm = −σ(−m).
                    l += (margin > 0 ? log1p(exp(-margin)) : -margin + log1p(exp(margin))) * scale
                    right += margin > 0 ? 1 : margin == 0 ? 0.5 : 0
                    let g = Float(-scale / (1 + exp(margin)))
                    grads.append([[g]]); grads.append([[-g]])
                }
                loss += l
                return (l, grads)
            }
        }
        _ = try optimizer.update(optimizedTensors, params)
        lora.zeroGrad()
        head.zeroGrad()
        lora.version += 1
        return (loss, right / Double(pairs.count))
    }

    // MARK: checkpoints

    struct State: Codable { var format = "lathe-reward-model-1"; var step: Int; var lora: LoRAConfig; var modules: [String] }

    /// Writes the LoRA, the head and the AdamW moments into `dir` (created if needed).
    public func save(into dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var tensors: [SafeTensorsWriter.Tensor] = []
        for (k, t) in optimizedTensors.enumerated() {
            tensors.append(.init(name: t.name, shape: [t.count], values: Array(UnsafeBufferPointer(start: t.value, count: t.count))))
            tensors.append(.init(name: t.name + ".exp_avg", shape: [t.count], values: optimizer.m[k].array))
            tensors.append(.init(name: t.name + ".exp_avg_sq", shape: [t.count], values: optimizer.v[k].array))
        }
        try SafeTensorsWriter.write(tensors, to: dir.appendingPathComponent("reward_model.safetensors"))
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(State(step: optimizer.step, lora: lora.config, modules: lora.modules.map(\.path))),
                                    to: dir.appendingPathComponent("reward_model.json"))
    }

    /// Restores what `save` wrote, bit for bit, into a reward model built with the same LoRA config.
    public func load(from dir: URL) throws {
        let stateURL = dir.appendingPathComponent("reward_model.json")
        guard let data = FileManager.default.contents(atPath: stateURL.path) else {
            throw LatheError("\(stateURL.path): missing (not a reward-model checkpoint)")
        }
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: data) } catch {
            throw LatheError("\(stateURL.path): not a reward-model state (\(error))")
        }
        guard state.lora == lora.config, state.modules == lora.modules.map(\.path) else {
            throw LatheError("\(stateURL.path): the reward model's LoRA config differs from the run's")
        }
        let f = try SafeTensorsFile(dir.appendingPathComponent("reward_model.safetensors"))
        func read(_ name: String, into p: UnsafeMutablePointer<Float>, count: Int) throws {
            guard let e = f.entries[name], e.dtype == "F32", e.elementCount == count else {
                throw LatheError("\(f.url.lastPathComponent): tensor \(name) is missing or has the wrong size")
            }
            UnsafeMutableRawPointer(p).copyMemory(from: f.pointer(e), byteCount: count * 4)
        }
        for (k, t) in optimizedTensors.enumerated() {
            try read(t.name, into: t.value, count: t.count)
            try read(t.name + ".exp_avg", into: optimizer.m[k].pointer, count: t.count)
            try read(t.name + ".exp_avg_sq", into: optimizer.v[k].pointer, count: t.count)
        }
        optimizer.restore(step: state.step)
        lora.zeroGrad()
        head.zeroGrad()
    }
}
