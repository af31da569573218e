import Datasets
import Engine
import Foundation
import Tensor

/// Pretrains a vision tower against a frozen language model: images become injected tokens, the loss is the mean
/// cross-entropy of the caption tokens, and its gradient reaches the tower through the LM's input gradients.
public final class CaptionAlignment: @unchecked Sendable {
    public let tower: VisionTower
    public let lm: Qwen3MoEModel
    public let prompt: ImagePrompt
    public let captioner: Captioner
    let optimizer: AdamW
    public private(set) var flops = 0.0     // pretraining compute so far (DESIGN's FLOP accounting + the tower's 3× forward)

    public init(tower: VisionTower, lm: Qwen3MoEModel, prompt: ImagePrompt, captioner: Captioner) throws {
        guard tower.config.outDim == lm.config.hiddenSize else {
            throw LatheError("vision tower out_dim \(tower.config.outDim) ≠ the language model's hidden_size \(lm.config.hiddenSize)")
        }
        self.tower = tower; self.lm = lm; self.prompt = prompt; self.captioner = captioner
        optimizer = AdamW(sizes: tower.params.all.map(\.count))
    }

    public var step: Int { optimizer.step }

    /// The Datums of a batch of images (captions drawn from `rng`) and the tower cache for the backward.
    func batch(_ set: ImageSet, _ indices: [Int], rng: inout SplitMix64) -> ([Datum], VisionTower.Cache) {
        var images: [Float] = []
        images.reserveCapacity(indices.count * set.pixelCount)
        for i in indices { images.append(contentsOf: set.image(i)) }
        let (tokens, cache) = tower.forward(images)
        let per = tower.tokensPerImage * lm.config.hiddenSize
        var pairs: [(String, String)] = []
        for i in indices { pairs.append(captioner.caption(set, i) { rng.next(below: $0) }) }
        let answerTokens = pairs.reduce(0) { $0 + prompt.answer($1.1).count }
        let datums = pairs.enumerated().map { j, qa in
            prompt.datum(question: qa.0, answer: qa.1, image: Array(UnsafeBufferPointer(start: tokens.pointer + j * per, count: per)),
                         weight: 1 / Float(answerTokens))
        }
        return (datums, cache)
    }

    /// Mean caption cross-entropy of one batch; with `train`, one AdamW step on the tower.
    public func step(_ set: ImageSet, _ indices: [Int], rng: inout SplitMix64, adam: AdamParams, train: Bool = true) throws -> Double {
        let (datums, cache) = batch(set, indices, rng: &rng)
        let graph = TrainingGraph(model: lm)
        let out = try graph.run(datums, backward: train)
        guard train else { return out.loss }
        let h = lm.config.hiddenSize, per = tower.tokensPerImage * h
        let dTokens = FloatBuffer(uninitialized: indices.count * per)
        for (j, g) in out.injectedGradients.enumerated() {
            g.withUnsafeBufferPointer { (dTokens.pointer + j * per).update(from: $0.baseAddress!, count: per) }
        }
        tower.params.zeroGrad()
        tower.backward(dTokens.pointer, cache)
        _ = try optimizer.update(tower.params.optimizedTensors, adam)
        let perToken = { (t: Int) in 4 * Double(self.lm.config.activeParameters) + 6 * Double(self.lm.config.numHiddenLayers * t * self.lm.config.numAttentionHeads * self.lm.config.headDim) }
        flops += datums.reduce(0) { $0 + Double($1.tokens.count) * perToken($1.tokens.count) } + 3 * Double(indices.count) * tower.forwardFLOPs
        return out.loss
    }
}
