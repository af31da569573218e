import Datasets
import Engine
import Foundation
import Stats
import Store
import Tensor
import Tokenizer

/// On-policy LoRA RL (GRPO-style): each step samples a group of completions per prompt from the current adapter,
/// scores them (the environment's verifiable reward, plus weight × the reward model's score when the run has one),
/// turns rewards into group-relative advantages, applies a KL penalty to the base (the same model with the adapter
/// off: no second copy of the weights) in the reward or in the loss, and takes one optimizer step on a
/// policy-gradient loss. Ratios use the model logprobs the sampler reports (contract 6), so on-policy they start at
/// 1 and `kl_sample_train` stays ~0.
public final class RLRun: LiveRun, @unchecked Sendable {
    /// Called after each prompt's rollouts and each forward-backward chunk: the workbench serves samples there.
    public var safePoint: (() -> Void)?
    public let ws: Workspace
    public private(set) var record: RunRecord
    public let config: RunConfig
    let rl: RunConfig.RL
    public let session: Session
    public let adapter: TrainableAdapter
    let template: ChatTemplate
    let tokenizer: Tokenizer
    public let environment: Environment
    let loss: LossFunction
    let rewardModel: StreamingRewardModel?
    public let metrics: MetricBuffer
    public let startStep: Int
    public private(set) var currentStep: Int
    let stopIDs: Set<Int>
    var tokensSeen = 0

    struct CallerState: Codable { var tokens: Int }

    /// Datums per forward-backward call (gradients accumulate across calls).
    static let chunk = 16

    init(ws: Workspace, record: RunRecord, config: RunConfig, session: Session, adapter: TrainableAdapter,
         template: ChatTemplate, tokenizer: Tokenizer, environment: Environment, rewardModel: StreamingRewardModel?,
         startStep: Int, tokensSeen: Int) throws {
        self.ws = ws; self.record = record; self.config = config; self.rl = config.rl ?? RunConfig.RL()
        self.session = session; self.adapter = adapter; self.template = template; self.tokenizer = tokenizer
        self.environment = environment; self.rewardModel = rewardModel
        self.startStep = startStep; self.currentStep = startStep; self.tokensSeen = tokensSeen
        loss = try LossFunction(name: rl.loss, config: ["clip_low_threshold": rl.clipLow, "clip_high_threshold": rl.clipHigh])
        metrics = MetricBuffer(workspace: ws)
        stopIDs = SFTRun.stopTokens(session: session, tokenizer: tokenizer)
    }

    static func prepare(workspace ws: Workspace, source: RunSource, resolved: RunSetup.Resolved, session existing: Session?,
                        pool: ThreadPool?, log: (String) -> Void) throws -> RLRun {
        var record = resolved.record
        let config = resolved.config
        let rl = config.rl ?? RunConfig.RL()
        // Datasets are read before the base model loads: a bad line stops the run here.
        let environment = try Environments.make(rl, dataset: rl.dataset.map { ws.resolve($0) }, seed: UInt64(config.seed))
        let (session, tokenizer, template) = try RunSetup.session(config, ws, existing: existing, pool: pool, log: log)
        let adapter = try RunSetup.adapter(config, record, session)
        let rewardModel = try rl.rewardModel.map {
            try StreamingRewardModel(section: $0, base: session.base, ws: ws, template: template, tokenizer: tokenizer,
                                     seed: UInt64(config.seed), log: log)
        }
        var startStep = 0, tokens = 0
        func restore(_ ckpt: CheckpointRecord) throws {
            let dir = ws.resolve(ckpt.path)
            let caller = try AdapterCheckpoint.load(into: adapter, from: dir)
            tokens = (try? JSONDecoder().decode(CallerState.self, from: caller ?? Data()))?.tokens ?? 0
            if let rewardModel { try rewardModel.model.load(from: dir.appendingPathComponent("reward_model")) }
            startStep = ckpt.step
        }
        if case .resume = source {
            if let ckpt = try ws.latestCheckpoint(run: record.id) {
                try restore(ckpt)
                try ws.deleteMetrics(run: record.id, afterStep: startStep)
                log("resuming \(record.id) from \(ckpt.name)")
            } else {
                try ws.deleteMetrics(run: record.id, afterStep: 0)
            }
            record = try ws.setStatus(record.id, .running)
        } else {
            if let p = resolved.parentCheckpoint { try restore(p) }
            if let rewardModel, let section = rl.rewardModel, section.initialSteps > 0 {
                log("reward model: \(section.initialSteps) Bradley–Terry steps on \(rewardModel.filePairs.train.count) pairs")
                try rewardModel.train(steps: section.initialSteps)
                if !rewardModel.filePairs.heldOut.isEmpty {
                    log(String(format: "reward model: held-out pair accuracy %.3f on %d pairs",
                               try rewardModel.model.accuracy(rewardModel.filePairs.heldOut), rewardModel.filePairs.heldOut.count))
                }
            }
            try RunSetup.create(&record, config, ws, session: session, dataHash: nil, startStep: startStep, log: log)
        }
        log("\(environment.name): \(rl.promptsPerStep) prompts × \(rl.groupSize) samples per step, loss \(rl.loss)"
            + (rl.klCoef > 0 ? ", KL \(rl.klEstimator.rawValue) × \(rl.klCoef) in the \(rl.klIn.rawValue)" : "")
            + (rewardModel != nil ? ", reward model × \(rl.rewardModel!.weight)" : ""))
        return try RLRun(ws: ws, record: record, config: config, session: session, adapter: adapter, template: template,
                         tokenizer: tokenizer, environment: environment, rewardModel: rewardModel, startStep: startStep,
                         tokensSeen: tokens)
    }

    public var totalSteps: Int { config.training.steps }
    public var isFinished: Bool { currentStep >= totalSteps }

    /// One rollout: a prompt's ids, its completion's ids and model logprobs, its rewards, its group.
    struct Rollout {
        var prompt: EnvironmentPrompt
        var promptIDs: [Int]
        var completion: [Int]
        var text: String
        var logprobs: [Float]
        var verifiable: Double?
        var reward: Double
        var group: Int
    }

    @discardableResult
    public func step() throws -> StepReport {
        precondition(!isFinished, "step() after the last step")
        let t0 = Date()
        let stepNumber = currentStep + 1
        let id = record.id, step = stepNumber

        // 0. The reward model learns from ratings that arrived since the last step.
        if let rewardModel {
            for (name, value) in try rewardModel.update(ws) { metrics.append(run: id, name: name, step: step, value: value) }
        }

        // 1. Rollouts from the current adapter.
        let prompts = environment.trainingPrompts(step: currentStep, count: rl.promptsPerStep)
        var rollouts: [Rollout] = []
        for (g, p) in prompts.enumerated() {
            let ids = template.encode(p.messages, addGenerationPrompt: true).ids
            let params = SamplingParams(maxTokens: rl.maxTokens, temperature: Float(rl.temperature),
                                        seed: UInt64(config.seed) &* 1_000_003 &+ UInt64(currentStep * 4096 + g), stopTokens: stopIDs)
            for c in try adapter.sample(prompt: ids, params: params, count: rl.groupSize) {
                let text = tokenizer.decode(c.ids, skipSpecialTokens: true)
                let v = environment.reward(p, completion: text)
                rollouts.append(Rollout(prompt: p, promptIDs: ids, completion: c.ids, text: text, logprobs: c.logprobs,
                                        verifiable: v, reward: v ?? 0, group: g))
            }
            safePoint?()
        }
        // 2. Rewards: + weight × the reward model's score.
        if let rewardModel {
            let weight = rl.rewardModel!.weight
            let s = try rewardModel.scores(rollouts.map { ($0.prompt.messages, $0.text) })
            for i in rollouts.indices { rollouts[i].reward += weight * Double(s[i]) }
            metrics.append(run: id, name: "reward_model/score_mean", step: step, value: s.reduce(0) { $0 + Double($1) } / Double(s.count))
        }
        let rewards = rollouts.map(\.reward)
        let advantages = groupRelativeAdvantages(rewards, groupSize: rl.groupSize, normalizeByStd: rl.normalizeAdvantages)
        let completionTokens = rollouts.reduce(0) { $0 + $1.completion.count }
        let scale = 1 / Float(max(1, completionTokens))   // the loss is a mean over completion tokens
        var datums: [Datum] = []
        for (r, a) in zip(rollouts, advantages) {
            let seq = r.promptIDs + r.completion
            let n = seq.count - 1
            let first = r.promptIDs.count - 1          // position predicting the first completion token
            var weights = [Float](repeating: 0, count: n), sampling = [Float](repeating: 0, count: n)
            var adv = [Float](repeating: 0, count: n)
            for (j, lp) in r.logprobs.enumerated() {
                weights[first + j] = scale; sampling[first + j] = lp; adv[first + j] = Float(a) * scale
            }
            datums.append(Datum(tokens: Array(seq.dropLast()), targets: Array(seq.dropFirst()), weights: weights,
                                samplingLogprobs: sampling, advantages: adv))
        }

        // 3. The reference (adapter off): its logprobs for the KL, its routing for the drift.
        let reference = try referencePass(datums)
        let estimator = KLEstimator(rawValue: rl.klEstimator.rawValue)!
        var kl = 0.0
        for i in datums.indices {
            for j in datums[i].weights.indices where datums[i].weights[j] != 0 {
                let k = estimator.value(logprob: datums[i].samplingLogprobs![j], referenceLogprob: reference.logprobs[i][j])
                kl += k
                if rl.klCoef > 0 && rl.klIn == .reward { datums[i].advantages![j] -= Float(rl.klCoef * k) * scale }
            }
            if rl.klCoef > 0 && rl.klIn == .loss { datums[i].referenceLogprobs = reference.logprobs[i] }
        }
        kl /= Double(max(1, completionTokens))
        let penalty = rl.klCoef > 0 && rl.klIn == .loss ? KLPenalty(coef: Float(rl.klCoef), estimator: estimator) : nil

        // 4. Forward-backward in chunks (gradients accumulate), one optimizer step.
        var lossValue = 0.0, tokens = 0, clipped = 0.0, sampleTrainGap = 0.0
        var routing: [[RouterRecord]] = []
        for chunk in stride(from: 0, to: datums.count, by: Self.chunk) {
            let part = Array(datums[chunk..<min(chunk + Self.chunk, datums.count)])
            let out = try adapter.forwardBackward(part, loss: loss, kl: penalty, recordRouting: true)
            lossValue += out.loss
            tokens += out.tokens
            clipped += out.clipFraction * Double(part.reduce(0) { $0 + $1.weights.filter { $0 != 0 }.count })
            for (d, lps) in zip(part, out.logprobs) {
                for j in d.weights.indices where d.weights[j] != 0 { sampleTrainGap += Double(d.samplingLogprobs![j] - lps[j]) }
            }
            routing.append(out.routing)
            safePoint?()
        }
        let norms = adapter.gradientNorms()
        var p = RunSetup.adam(config)
        p.learningRate *= RunSetup.schedule(config).multiplier(step: currentStep)
        try adapter.optimStep(p)
        guard lossValue.isFinite else { throw LatheError("step \(stepNumber): loss is \(lossValue); the last checkpoint is kept") }
        currentStep = stepNumber
        tokensSeen += tokens
        let dt = Date().timeIntervalSince(t0)

        // 5. Metrics.
        let mean = rewards.reduce(0, +) / Double(rewards.count)
        let std = (rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rewards.count)).squareRoot()
        // A group is mixed when its rewards differ (it gives a gradient); otherwise all good (at the verifiable
        // maximum, 1) or all bad.
        var allGood = 0, allBad = 0
        for g in 0..<prompts.count {
            let group = rollouts.filter { $0.group == g }
            guard group.allSatisfy({ $0.reward == group[0].reward }) else { continue }
            if (group[0].verifiable ?? 0) >= 1 { allGood += 1 } else { allBad += 1 }
        }
        let groups = Double(prompts.count)
        let verifiable = rollouts.compactMap(\.verifiable)
        let sampledLogprobSum = rollouts.reduce(0.0) { $0 + $1.logprobs.reduce(0.0) { $0 + Double($1) } }
        let perToken = Double(max(1, completionTokens))
        metrics.append(run: id, name: "reward/mean", step: step, value: mean)
        metrics.append(run: id, name: "reward/std", step: step, value: std)
        if !verifiable.isEmpty && rewardModel != nil {
            metrics.append(run: id, name: "reward/env_mean", step: step, value: verifiable.reduce(0, +) / Double(verifiable.count))
        }
        metrics.append(run: id, name: "frac_all_good", step: step, value: Double(allGood) / groups)
        metrics.append(run: id, name: "frac_all_bad", step: step, value: Double(allBad) / groups)
        metrics.append(run: id, name: "frac_mixed", step: step, value: Double(prompts.count - allGood - allBad) / groups)
        metrics.append(run: id, name: "kl", step: step, value: kl)
        metrics.append(run: id, name: "kl_sample_train", step: step, value: sampleTrainGap / perToken)
        // −E[log p] of tokens sampled from p is the entropy (exact in expectation at temperature 1).
        metrics.append(run: id, name: "entropy", step: step, value: -sampledLogprobSum / perToken)
        metrics.append(run: id, name: "clip_frac", step: step, value: clipped / perToken)
        metrics.append(run: id, name: "completion/mean_length", step: step, value: Double(completionTokens) / Double(rollouts.count))
        metrics.append(run: id, name: "train/loss", step: step, value: lossValue)
        metrics.append(run: id, name: "train/lr", step: step, value: p.learningRate)
        metrics.append(run: id, name: "train/grad_norm", step: step, value: norms.global)
        metrics.append(run: id, name: "train/tokens", step: step, value: Double(tokensSeen))
        metrics.append(run: id, name: "train/tokens_per_s", step: step, value: Double(tokens + completionTokens) / dt)
        for (name, value) in ExpertTelemetry(policy: routing, reference: reference.routing, layers: sparseLayers).metrics {
            metrics.append(run: id, name: name, step: step, value: value)
        }
        try metrics.flushIfDue()
        let evalEvery = config.eval.every
        if rl.evalPrompts > 0 && ((evalEvery > 0 && step % evalEvery == 0) || step == totalSteps) { try evaluate(step: step) }
        let every = config.checkpoint.every
        if (every > 0 && step % every == 0) || step == totalSteps { try checkpoint(step: step) }
        if step == totalSteps { try finish(.completed) }
        return StepReport(step: step, totalSteps: totalSteps, loss: lossValue, learningRate: p.learningRate, gradNorm: norms.global,
                          tokens: tokens + completionTokens, seconds: dt, reward: mean)
    }

    /// The datums' target logprobs and routing under the base: the adapter disabled for the pass.
    func referencePass(_ datums: [Datum]) throws -> (logprobs: [[Float]], routing: [[RouterRecord]]) {
        let lora = adapter.lora
        lora.enabled = false
        defer { lora.enabled = true }
        var logprobs: [[Float]] = [], routing: [[RouterRecord]] = []
        for chunk in stride(from: 0, to: datums.count, by: Self.chunk) {
            let part = Array(datums[chunk..<min(chunk + Self.chunk, datums.count)])
            let out = try TrainingGraph(model: session.base, adapter: lora).run(part, backward: false, recordRouting: true)
            logprobs += out.logprobs
            routing.append(out.routing)
        }
        return (logprobs, routing)
    }

    var sparseLayers: [Int] { (0..<session.base.config.numHiddenLayers).filter { session.base.config.isSparse(layer: $0) } }

    var harness: EvalHarness {
        EvalHarness(environment: environment, template: template, tokenizer: tokenizer, stopIDs: stopIDs, maxTokens: rl.maxTokens)
    }

    /// Held-out evaluation: greedy accuracy with a Wilson interval (environments with a verifiable reward), pass@1 and
    /// pass@k at temperature 1 when `eval_k` > 1, and the reward model's mean score of the greedy replies. Logged as
    /// metrics and stored as eval results; the first replies are stored as eval samples.
    @discardableResult
    public func evaluate(step: Int) throws -> EvalHarness.Accuracy {
        let generate: EvalHarness.Generate = { [adapter] ids, params, n in try adapter.sample(prompt: ids, params: params, count: n).map(\.ids) }
        let result = try harness.greedyAccuracy(count: rl.evalPrompts, generate: generate)
        let id = record.id, env = environment.name
        let prompts = environment.heldOutPrompts(count: rl.evalPrompts)
        if environment.hasVerifiableReward {
            metrics.append(run: id, name: "eval/accuracy", step: step, value: result.accuracy)
            metrics.append(run: id, name: "eval/accuracy_ci_low", step: step, value: result.interval.low)
            metrics.append(run: id, name: "eval/accuracy_ci_high", step: step, value: result.interval.high)
            try ws.addEvalResult(EvalResult(runID: id, step: step, name: "\(env)/accuracy", value: result.accuracy,
                                            ciLow: result.interval.low, ciHigh: result.interval.high, n: result.n))
            if rl.evalK > 1 {
                for (k, v) in try harness.passAtK(count: rl.evalPrompts, k: rl.evalK, seed: UInt64(config.seed) &+ UInt64(step), generate: generate) {
                    metrics.append(run: id, name: "eval/pass_at_\(k)", step: step, value: v.value)
                    try ws.addEvalResult(EvalResult(runID: id, step: step, name: "\(env)/pass@\(k)", value: v.value,
                                                    ciLow: v.interval.low, ciHigh: v.interval.high, n: result.n))
                }
            }
        }
        if let rewardModel {
            let s = try rewardModel.scores(zip(prompts, result.replies).map { ($0.messages, $1) })
            metrics.append(run: id, name: "eval/reward_model_score", step: step, value: s.reduce(0) { $0 + Double($1) } / Double(max(1, s.count)))
        }
        let shown = zip(prompts, result.replies).prefix(8).map { p, reply in
            SampleRecord(runID: id, step: step, kind: "eval", prompt: p.messages.last?.content ?? "", completion: reply,
                         settingsJSON: SampleSettings(temperature: 0, topP: 1, maxTokens: rl.maxTokens, seed: 0, sampleIndex: 0,
                                                      adapter: true, adapterVersion: adapter.version, chat: true).json)
        }
        _ = try ws.addSamples(Array(shown))
        try metrics.flush()
        return result
    }

    public func checkpoint(step: Int) throws {
        let name = CheckpointRecord.scheduledName(step: step)
        let caller = try JSONEncoder().encode(CallerState(tokens: tokensSeen))
        try metrics.flush()
        try ws.saveCheckpoint(run: record.id, name: name, step: step) { dir in
            try AdapterCheckpoint.writeContents(adapter, into: dir, baseModel: config.model.base ?? "", callerState: caller)
            try rewardModel?.model.save(into: dir.appendingPathComponent("reward_model"))
        }
        record = try ws.updateRun(record.id) { $0.lastStep = step }
        let keep = config.checkpoint.keep
        if keep > 0 {
            let scheduled = try ws.checkpoints(run: record.id, kind: .state).filter { $0.name.hasPrefix("step-") }.sorted { $0.step < $1.step }
            for old in scheduled.dropLast(keep) { try ws.deleteCheckpoint(run: record.id, name: old.name) }
        }
    }

    public func stop(_ status: RunStatus) throws {
        if currentStep > startStep, try ws.checkpoint(run: record.id, name: CheckpointRecord.scheduledName(step: currentStep)) == nil {
            try checkpoint(step: currentStep)
        }
        try finish(status)
    }

    public func fail(_ message: String) {
        try? metrics.flush()
        record = (try? ws.setStatus(record.id, .failed, errorMessage: message)) ?? record
    }

    func finish(_ status: RunStatus) throws {
        try metrics.flush()
        record = try ws.setStatus(record.id, status)
    }
}
