import Datasets
import Engine
import Foundation
import Store
import Tokenizer

/// The reward model of an RL run, fed while the run goes: pairs from a file (trained on before the first policy
/// step) and the workspace's thumbs, re-read between policy steps; when the ratings changed, a few Bradley–Terry steps
/// run before the policy's next rollouts are scored, so the policy's reward always comes from the updated model.
final class StreamingRewardModel {
    let model: RewardModel
    let section: RunConfig.RewardModelSection
    let template: ChatTemplate
    let tokenizer: Tokenizer
    var filePairs = PreferenceData()
    var feedbackPairs = PreferenceData()
    /// The ratings last turned into pairs: (sample id, rating) in order; a change of any rating retrains.
    var seenRatings: [[Int64]] = []
    var rng: SplitMix64

    init(section: RunConfig.RewardModelSection, base: Qwen3MoEModel, ws: Workspace, template: ChatTemplate,
         tokenizer: Tokenizer, seed: UInt64, log: (String) -> Void) throws {
        self.section = section
        self.template = template
        self.tokenizer = tokenizer
        model = try RewardModel(base: base, lora: LoRAConfig(rank: section.rank, alpha: section.alpha), seed: seed &+ 0x5EED)
        rng = SplitMix64(seed: seed ^ 0xBEEF)
        if let path = section.pairs {
            filePairs = try PreferenceData.fromFile(ws.resolve(path), source: path, template: template,
                                                    holdOutEvery: section.holdOutEvery)
            log("reward model: \(filePairs.train.count) training and \(filePairs.heldOut.count) held-out pairs from \(path)")
        }
    }

    var params: AdamParams { AdamParams(learningRate: section.lr, gradClipNorm: 1) }
    var all: PreferenceData { filePairs + feedbackPairs }

    /// Bradley–Terry steps on random batches of the training pairs; returns the last step's loss and batch accuracy.
    @discardableResult
    func train(steps: Int) throws -> (loss: Double, accuracy: Double)? {
        let pool = all.train
        guard !pool.isEmpty, steps > 0 else { return nil }
        var last: (Double, Double)?
        for _ in 0..<steps {
            let batch = pool.count <= section.batchPairs ? pool : (0..<section.batchPairs).map { _ in pool[rng.next(below: pool.count)] }
            last = try model.trainStep(batch, params: params)
        }
        return last
    }

    /// Re-reads the workspace's ratings; true when they changed since the last call (the pairs are rebuilt).
    func refresh(_ ws: Workspace) throws -> Bool {
        guard section.fromFeedback else { return false }
        let rated = try ws.ratedSamples()
        let signature = rated.map { [$0.sample.id ?? -1, Int64($0.rating)] }
        guard signature != seenRatings else { return false }
        seenRatings = signature
        feedbackPairs = PreferenceData.fromFeedback(rated, template: template, tokenizer: tokenizer, holdOutEvery: section.holdOutEvery)
        return true
    }

    /// Between policy steps: new ratings → `steps_per_update` Bradley–Terry steps. Returns the metrics to log.
    func update(_ ws: Workspace) throws -> [String: Double] {
        var m: [String: Double] = [:]
        if try refresh(ws), let (loss, acc) = try train(steps: section.stepsPerUpdate) {
            m["reward_model/loss"] = loss
            m["reward_model/train_accuracy"] = acc
        }
        let data = all
        m["reward_model/labels"] = Double(feedbackPairs.labels)
        m["reward_model/pairs"] = Double(data.count)
        m["reward_model/steps"] = Double(model.step)
        if !data.heldOut.isEmpty {
            m["reward_model/pair_accuracy"] = try model.accuracy(data.heldOut)
            m["reward_model/held_out_pairs"] = Double(data.heldOut.count)
        }
        return m
    }

    /// Scores of replies to prompts (chat-templated, as the pairs are).
    func scores(_ items: [(messages: [ChatMessage], reply: String)]) throws -> [Float] {
        try model.scores(items.map { PreferenceData.sequence($0.messages, reply: $0.reply, template: template) })
    }
}
