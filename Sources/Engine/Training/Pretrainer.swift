import Durability
import Foundation
import Tensor

/// Full-parameter pretraining from scratch: a private, writable fp32 model, AdamW (decay on matrices only),
/// mean next-token cross-entropy plus transformers' load-balancing loss.
public final class Pretrainer: @unchecked Sendable {
    public let model: Qwen3MoEModel
    public let gradients: ModelGradients
    let decayed: [OptimizedTensor]
    let plain: [OptimizedTensor]
    public let decayedOptimizer: AdamW
    public let plainOptimizer: AdamW
    public let auxLossCoef: Float

    public init(config: Qwen3MoEConfig, seed: UInt64, initStd: Float = 0.02, auxLossCoef: Float? = nil) throws {
        try config.validate()
        model = Qwen3MoEModel.random(config: config, seed: seed, std: initStd)
        gradients = ModelGradients(model: model)
        self.auxLossCoef = auxLossCoef ?? Float(config.routerAuxLossCoef)
        let grads = Dictionary(uniqueKeysWithValues: gradients.named.map { ($0.0, $0.1) })
        var d: [OptimizedTensor] = [], p: [OptimizedTensor] = []
        for (name, ptr, count) in try model.parameters() {
            let t = OptimizedTensor(name: name, value: ptr, grad: grads[name]!.pointer, count: count)
            // Norm weights and embeddings are not decayed (the usual GPT recipe).
            if name.hasSuffix("norm.weight") || name.hasSuffix("layernorm.weight") || name == "model.embed_tokens.weight" {
                p.append(t)
            } else { d.append(t) }
        }
        decayed = d; plain = p
        decayedOptimizer = AdamW(sizes: d.map(\.count))
        plainOptimizer = AdamW(sizes: p.map(\.count))
    }

    public struct StepReport: Sendable {
        public var loss: Double          // mean cross-entropy (without the aux term)
        public var auxLoss: Double
        public var gradNorm: Double
        public var expertLoad: [[Double]]
    }

    /// One optimizer step on `batch` (next-token sequences; the mean over all targets is taken here).
    public func step(_ sequences: [[Int]], adam: AdamParams) throws -> StepReport {
        let targets = sequences.reduce(0) { $0 + $1.count - 1 }
        let batch = sequences.map { Datum(sequence: $0, weight: 1 / Float(targets)) }
        gradients.zero()
        let out = try TrainingGraph(model: model, gradients: gradients, auxLossCoef: auxLossCoef).run(batch)
        let aux = out.auxLoss ?? 0
        let ce = out.loss - Double(auxLossCoef) * aux
        guard ce.isFinite else { throw LatheError("loss is \(ce) at step \(decayedOptimizer.step + 1)") }
        // One global clip over both groups, as clip_grad_norm_ over all parameters.
        let norm = AdamW.gradNorm(decayed + plain)
        var p = adam
        var q = adam
        q.weightDecay = 0
        if adam.gradClipNorm > 0 && norm > adam.gradClipNorm {
            let s = Float(adam.gradClipNorm / (norm + 1e-6))
            for t in decayed + plain { Kernels.scale(t.grad, s, t.count) }
        }
        p.gradClipNorm = 0; q.gradClipNorm = 0
        _ = try decayedOptimizer.update(decayed, p)
        _ = try plainOptimizer.update(plain, q)
        return StepReport(loss: ce, auxLoss: aux, gradNorm: norm, expertLoad: out.expertLoad)
    }

    /// Mean next-token NLL per token over `sequences` and its per-sequence values (for an interval).
    public func evaluate(_ sequences: [[Int]]) throws -> (mean: Double, perSequence: [Double]) {
        var per: [Double] = []
        var total = 0.0, count = 0
        for chunk in stride(from: 0, to: sequences.count, by: 8) {
            let part = Array(sequences[chunk..<min(chunk + 8, sequences.count)])
            let out = try TrainingGraph(model: model).run(part.map { Datum(sequence: $0) }, backward: false)
            for lp in out.logprobs {
                let nll = -lp.reduce(0.0) { $0 + Double($1) }
                per.append(nll / Double(lp.count))
                total += nll; count += lp.count
            }
        }
        return (total / Double(max(count, 1)), per)
    }

    public var step: Int { decayedOptimizer.step }

    /// Saves weights and both optimizers' moments for an exact resume.
    public func saveState(to dir: URL, callerState: Data) throws {
        var tensors: [SafeTensorsWriter.Tensor] = []
        for (k, t) in decayed.enumerated() {
            tensors.append(.init(name: t.name, shape: [t.count], values: Array(UnsafeBufferPointer(start: t.value, count: t.count))))
            tensors.append(.init(name: t.name + ".exp_avg", shape: [t.count], values: decayedOptimizer.m[k].array))
            tensors.append(.init(name: t.name + ".exp_avg_sq", shape: [t.count], values: decayedOptimizer.v[k].array))
        }
        for (k, t) in plain.enumerated() {
            tensors.append(.init(name: t.name, shape: [t.count], values: Array(UnsafeBufferPointer(start: t.value, count: t.count))))
            tensors.append(.init(name: t.name + ".exp_avg", shape: [t.count], values: plainOptimizer.m[k].array))
            tensors.append(.init(name: t.name + ".exp_avg_sq", shape: [t.count], values: plainOptimizer.v[k].array))
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try SafeTensorsWriter.write(tensors, to: dir.appendingPathComponent("state.safetensors"),
                                    metadata: ["format": "pt", "step": "\(step)"])
        try AtomicFile.write(callerState, to: dir.appendingPathComponent("caller.json"))
    }

    public func loadState(from dir: URL) throws -> Data {
        let f = try SafeTensorsFile(dir.appendingPathComponent("state.safetensors"))
        guard let s = f.metadata["step"], let step = Int(s) else { throw LatheError("state.safetensors: __metadata__.step missing") }
        func read(_ name: String, _ p: UnsafeMutablePointer<Float>, _ n: Int) throws {
            guard let e = f.entries[name], e.elementCount == n, e.dtype == "F32" else {
                throw LatheError("state.safetensors: tensor \(name) is missing or has the wrong size")
            }
            UnsafeMutableRawPointer(p).copyMemory(from: f.pointer(e), byteCount: n * 4)
        }
        for (k, t) in decayed.enumerated() {
            try read(t.name, t.value, t.count)
            try read(t.name + ".exp_avg", decayedOptimizer.m[k].pointer, t.count)
            try read(t.name + ".exp_avg_sq", decayedOptimizer.v[k].pointer, t.count)
        }
        for (k, t) in plain.enumerated() {
            try read(t.name, t.value, t.count)
            try read(t.name + ".exp_avg", plainOptimizer.m[k].pointer, t.count)
            try read(t.name + ".exp_avg_sq", plainOptimizer.v[k].pointer, t.count)
        }
        decayedOptimizer.restore(step: step)
        plainOptimizer.restore(step: step)
        guard let caller = FileManager.default.contents(atPath: dir.appendingPathComponent("caller.json").path) else {
            throw LatheError("\(dir.path)/caller.json: missing")
        }
        return caller
    }
}
