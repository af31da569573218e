import Datasets
import Engine
import Foundation
import Tensor

/// The VLM's few-shot step: a fresh rank-r LoRA on the language model, fine-tuned on the support images with the
/// chat prompt `What is the name of the subject in this photo?` → `The subject in this photo is: {class name}`, then
/// scored by greedy exact match. The vision tower stays frozen, so image tokens are computed once per image.
public final class VLMFewShot: @unchecked Sendable {
    public let lm: Qwen3MoEModel
    public let prompt: ImagePrompt
    public let classNames: [String]
    let answers: [[Int]]                 // per class: answer tokens ending with <|im_end|>
    let promptIDs: [Int], imagePositions: [Int]
    let identity: LinearHead             // reads the final normed hidden state out of the training graph unchanged

    public init(lm: Qwen3MoEModel, prompt: ImagePrompt, classNames: [String]) {
        self.lm = lm; self.prompt = prompt; self.classNames = classNames
        answers = classNames.map { prompt.answer(ImagePrompt.answerPrefix + $0) }
        (promptIDs, imagePositions) = prompt.prompt(question: ImagePrompt.trialQuestion)
        let h = lm.config.hiddenSize
        identity = LinearHead(inputs: h, outputs: h, seed: 0, std: 0)
        for i in 0..<h { identity.weight[i * h + i] = 1 }
    }

    func datum(image: ArraySlice<Float>, answer: [Int], weight: Float) -> Datum {
        let ids = promptIDs + answer
        var d = Datum(sequence: ids, weight: 0)
        for i in (promptIDs.count - 1)..<(ids.count - 1) { d.weights[i] = weight }
        d.injected = InjectedEmbeddings(positions: imagePositions, values: Array(image))
        return d
    }

    /// A fresh LoRA fine-tuned for `steps` AdamW steps of `batch` support examples each (a seeded permutation of the
    /// support set, repeated as often as needed). `imageTokens` holds each support image's tokens in order.
    public func fineTune(imageTokens: [Float], labels: [Int], steps: Int, batch: Int, rank: Int, alpha: Double,
                         learningRate: Double, seed: UInt64, shouldStop: () -> Bool = { false }) throws -> LoRAAdapter {
        let config = LoRAConfig(rank: rank, alpha: alpha, targets: LoRATarget.attention + [.mlp])
        let lora = try LoRAAdapter(config: config, model: lm.config, seed: seed)
        let tensors = lora.modules.flatMap { m in
            [OptimizedTensor(name: m.path + ".lora_A", value: m.a.pointer, grad: m.gradA.pointer, count: m.a.count),
             OptimizedTensor(name: m.path + ".lora_B", value: m.b.pointer, grad: m.gradB.pointer, count: m.b.count)]
        }
        let optimizer = AdamW(sizes: tensors.map(\.count))
        let per = prompt.imageTokens * lm.config.hiddenSize
        var rng = SplitMix64.stream(seed: seed, 0x5E9)
        var order: [Int] = []
        let graph = TrainingGraph(model: lm, adapter: lora)
        for s in 0..<steps {
            if shouldStop() { throw TrialCancelled() }
            var picks: [Int] = []
            while picks.count < batch {
                if order.isEmpty { order = Array(0..<labels.count); order.shuffle(using: &rng) }
                picks.append(order.removeLast())
            }
            let tokens = picks.reduce(0) { $0 + answers[labels[$1]].count }
            let batchData = picks.map { datum(image: imageTokens[($0 * per)..<(($0 + 1) * per)], answer: answers[labels[$0]],
                                              weight: 1 / Float(tokens)) }
            _ = try graph.run(batchData)
            // Linear decay to 10 % over the run, after a 2-step warmup.
            let mult = s < 2 ? Double(s + 1) / 2 : 1 - 0.9 * Double(s - 2) / Double(max(1, steps - 2))
            _ = try optimizer.update(tensors, AdamParams(learningRate: learningRate * mult, gradClipNorm: 1))
            lora.zeroGrad()
            lora.version += 1
        }
        return lora
    }

    /// Greedy decoding's answer for each image, as a class index (−1 when the greedy output is no class's answer).
    /// Computed by teacher forcing along the greedy path in batched passes: each image is forced through a candidate
    /// class's answer; where the argmax first leaves it, the next candidate is the class whose answer continues with
    /// the argmax token (none → −1). A path that survives to `<|im_end|>` is exactly the greedy output.
    public func predict(imageTokens: [Float], startCandidates: [Int], adapter: LoRAAdapter?, chunk: Int = 48,
                        shouldStop: () -> Bool = { false }) throws -> [Int] {
        let n = startCandidates.count
        let per = prompt.imageTokens * lm.config.hiddenSize
        var result = [Int](repeating: -1, count: n)
        var candidate = startCandidates
        var tried = [Set<Int>](repeating: [], count: n)
        var pending = Array(0..<n)
        let graph = TrainingGraph(model: lm, adapter: adapter)
        let h = lm.config.hiddenSize, v = lm.config.vocabSize
        let first = promptIDs.count - 1
        while !pending.isEmpty {
            var next: [Int] = []
            var start = 0
            while start < pending.count {
                if shouldStop() { throw TrialCancelled() }
                let group = Array(pending[start..<min(start + chunk, pending.count)])
                start += group.count
                let batch = group.map { datum(image: imageTokens[($0 * per)..<(($0 + 1) * per)], answer: answers[candidate[$0]], weight: 0) }
                let positions = group.map { Array(first ..< (first + answers[candidate[$0]].count)) }
                let out = try graph.runHead(batch, positions: positions, head: identity, backward: false) { o in
                    (0, o.map { $0.map { _ in [] } })
                }
                let rows = positions.reduce(0) { $0 + $1.count }
                let hidden = FloatBuffer(uninitialized: rows * h)
                var r = 0
                for per in out.outputs { for row in per { row.withUnsafeBufferPointer { (hidden.pointer + r * h).update(from: $0.baseAddress!, count: h) }; r += 1 } }
                let logits = FloatBuffer(uninitialized: rows * v)
                BLAS.matmulWeightT(hidden.pointer, rows: rows, lm.lmHead, logits.pointer)
                r = 0
                for img in group {
                    let target = answers[candidate[img]]
                    var deviation: (index: Int, token: Int)?
                    for (j, t) in target.enumerated() {
                        let row = logits.pointer + (r + j) * v
                        var best = 0
                        for k in 1..<v where row[k] > row[best] { best = k }
                        if best != t && deviation == nil { deviation = (j, best) }
                    }
                    r += target.count
                    guard let dev = deviation else { result[img] = candidate[img]; continue }
                    tried[img].insert(candidate[img])
                    let path = Array(target[..<dev.index]) + [dev.token]
                    if let c = answers.indices.first(where: { !tried[img].contains($0) && answers[$0].starts(with: path) }) {
                        candidate[img] = c
                        next.append(img)
                    }
                }
            }
            pending = next
        }
        return result
    }
}

/// Thrown when a trial grid is asked to stop (Ctrl-C, the workbench's cancel).
public struct TrialCancelled: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "trial grid cancelled" }
}
