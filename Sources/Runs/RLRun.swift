import Datasets
import Engine
import Foundation
import Stats
import Store
import Tensor
import Tokenizer

/// On-policy LoRA RL (GRPO-style): each step samples a group of completions per prompt from the current adapter,
/// scores them with the environment's reward, turns rewards into group-relative advantages (minus a per-token KL
/// penalty to the base when `kl_coef` > 0), and takes one optimizer step on a policy-gradient loss. Ratios use the
/// model logprobs the sampler reports (contract 6), so on-policy they start at 1 and `kl_sample_train` is ~0.
public final class RLRun: LiveRun, @unchecked Sendable {
    public let ws: Workspace
    public private(set) var record: RunRecord
    public let config: RunConfig
    let rl: RunConfig.RL
    public let session: Session
    public let adapter: TrainableAdapter
    let template: ChatTemplate
    let tokenizer: Tokenizer
    let environment: Environment
    let loss: LossFunction
    public let metrics: MetricBuffer
    public let startStep: Int
    public private(set) var currentStep: Int
    let stopIDs: Set<Int>
    var tokensSeen = 0

    struct CallerState: Codable { var tokens: Int }

    init(ws: Workspace, record: RunRecord, config: RunConfig, session: Session, adapter: TrainableAdapter,
         template: ChatTemplate, tokenizer: Tokenizer, environment: Environment, startStep: Int, tokensSeen: Int) throws {
        self.ws = ws; self.record = record; self.config = config; self.rl = config.rl ?? RunConfig.RL()
        self.session = session; self.adapter = adapter; self.template = template; self.tokenizer = tokenizer
        self.environment = environment; self.startStep = startStep; self.currentStep = startStep; self.tokensSeen = tokensSeen
        loss = try LossFunction(name: rl.loss, config: ["clip_low_threshold": rl.clipLow, "clip_high_threshold": rl.clipHigh])
        metrics = MetricBuffer(workspace: ws)
        stopIDs = SFTRun.stopTokens(session: session, tokenizer: tokenizer)
    }

    static func prepare(workspace ws: Workspace, source: RunSource, resolved: RunSetup.Resolved, session existing: Session?,
                        pool: ThreadPool?, log: (String) -> Void) throws -> RLRun {
        var record = resolved.record
        let config = resolved.config
        let rl = config.rl ?? RunConfig.RL()
        let environment = try Environments.make(name: rl.env, digits: rl.digits, seed: UInt64(config.seed))
        let (session, tokenizer, template) = try RunSetup.session(config, ws, existing: existing, pool: pool, log: log)
        let adapter = try RunSetup.adapter(config, record, session)
        var startStep = 0, tokens = 0
        func restore(_ ckpt: CheckpointRecord) throws {
            let caller = try AdapterCheckpoint.load(into: adapter, from: ws.resolve(ckpt.path))
            tokens = (try? JSONDecoder().decode(CallerState.self, from: caller ?? Data()))?.tokens ?? 0
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
            try RunSetup.create(&record, config, ws, session: session, dataHash: nil, startStep: startStep, log: log)
        }
        log("\(environment.name): \(rl.promptsPerStep) prompts × \(rl.groupSize) samples per step, loss \(rl.loss)")
        return try RLRun(ws: ws, record: record, config: config, session: session, adapter: adapter, template: template,
                         tokenizer: tokenizer, environment: environment, startStep: startStep, tokensSeen: tokens)
    }

    public var totalSteps: Int { config.training.steps }
    public var isFinished: Bool { currentStep >= totalSteps }

    /// One rollout: a prompt's ids, its completion's ids and model logprobs, the reward.
    struct Rollout { var promptIDs: [Int]; var completion: [Int]; var logprobs: [Float]; var reward: Double; var group: Int }

    @discardableResult
    public func step() throws -> StepReport {
        precondition(!isFinished, "step() after the last step")
        let t0 = Date()
        let stepNumber = currentStep + 1
        // 1. Rollouts from the current adapter.
        let prompts = environment.trainingPrompts(step: currentStep, count: rl.promptsPerStep)
        var rollouts: [Rollout] = []
        for (g, p) in prompts.enumerated() {
            let ids = template.encode(p.messages, addGenerationPrompt: true).ids
            let params = SamplingParams(maxTokens: rl.maxTokens, temperature: Float(rl.temperature),
                                        seed: UInt64(config.seed) &* 1_000_003 &+ UInt64(currentStep * 4096 + g), stopTokens: stopIDs)
            for c in try adapter.sample(prompt: ids, params: params, count: rl.groupSize) {
                let text = tokenizer.decode(c.ids, skipSpecialTokens: true)
                rollouts.append(Rollout(promptIDs: ids, completion: c.ids, logprobs: c.logprobs,
                                        reward: environment.reward(p, completion: text), group: g))
            }
        }
        // 2. Group-relative advantages, per-token KL penalty to the base.
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
                weights[first + j] = 1; sampling[first + j] = lp; adv[first + j] = Float(a) * scale
            }
            datums.append(Datum(tokens: Array(seq.dropLast()), targets: Array(seq.dropFirst()), weights: weights,
                                samplingLogprobs: sampling, advantages: adv))
        }
        var kl = 0.0
        if rl.klCoef > 0 {
            // The reference is the same model with the adapter off: no second copy of the weights.
            let estimator = KLEstimator(rawValue: rl.klEstimator.rawValue)!
            let reference = try referenceLogprobs(datums)
            for i in datums.indices {
                for j in datums[i].weights.indices where datums[i].weights[j] != 0 {
                    let k = estimator.value(logprob: datums[i].samplingLogprobs![j], referenceLogprob: reference[i][j])
                    kl += k
                    datums[i].advantages![j] -= Float(rl.klCoef * k) * scale
                }
            }
            kl /= Double(max(1, completionTokens))
        }
        // 3. Forward-backward in chunks (gradients accumulate), one optimizer step.
        var lossValue = 0.0, tokens = 0, clipped = 0.0, sampleTrainGap = 0.0
        var load: [[Double]] = []
        for chunk in stride(from: 0, to: datums.count, by: 16) {
            let part = Array(datums[chunk..<min(chunk + 16, datums.count)])
            let out = try adapter.forwardBackward(part, loss: loss)
            lossValue += out.loss
            tokens += out.tokens
            clipped += out.clipFraction * Double(part.reduce(0) { $0 + $1.weights.filter { $0 != 0 }.count })
            for (d, lps) in zip(part, out.logprobs) {
                for j in d.weights.indices where d.weights[j] != 0 { sampleTrainGap += Double(d.samplingLogprobs![j] - lps[j]) }
            }
            if load.isEmpty { load = out.expertLoad } else {
                for l in load.indices { for e in load[l].indices { load[l][e] += out.expertLoad[l][e] } }
            }
        }
        let norms = adapter.gradientNorms()
        var p = RunSetup.adam(config)
        p.learningRate *= RunSetup.schedule(config).multiplier(step: currentStep)
        try adapter.optimStep(p)
        guard lossValue.isFinite else { throw LatheError("step \(stepNumber): loss is \(lossValue); the last checkpoint is kept") }
        currentStep = stepNumber
        tokensSeen += tokens
        let dt = Date().timeIntervalSince(t0)

        // 4. Metrics.
        let id = record.id, step = stepNumber
        let mean = rewards.reduce(0, +) / Double(rewards.count)
        let std = (rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rewards.count)).squareRoot()
        var allGood = 0, allBad = 0
        for g in 0..<prompts.count {
            let group = rollouts.filter { $0.group == g }.map(\.reward)
            if group.allSatisfy({ $0 >= 1 }) { allGood += 1 } else if group.allSatisfy({ $0 <= 0 }) { allBad += 1 }
        }
        let groups = Double(prompts.count)
        let sampledLogprobSum = rollouts.reduce(0.0) { $0 + $1.logprobs.reduce(0.0) { $0 + Double($1) } }
        metrics.append(run: id, name: "reward/mean", step: step, value: mean)
        metrics.append(run: id, name: "reward/std", step: step, value: std)
        metrics.append(run: id, name: "frac_all_good", step: step, value: Double(allGood) / groups)
        metrics.append(run: id, name: "frac_all_bad", step: step, value: Double(allBad) / groups)
        metrics.append(run: id, name: "frac_mixed", step: step, value: Double(prompts.count - allGood - allBad) / groups)
        if rl.klCoef > 0 { metrics.append(run: id, name: "kl", step: step, value: kl) }
        metrics.append(run: id, name: "kl_sample_train", step: step, value: sampleTrainGap / Double(max(1, completionTokens)))
        // −E[log p] of tokens sampled from p is the entropy (exact in expectation at temperature 1).
        metrics.append(run: id, name: "entropy", step: step, value: -sampledLogprobSum / Double(max(1, completionTokens)))
        metrics.append(run: id, name: "clip_frac", step: step, value: clipped / Double(max(1, completionTokens)))
        metrics.append(run: id, name: "completion/mean_length", step: step, value: Double(completionTokens) / Double(rollouts.count))
        metrics.append(run: id, name: "train/loss", step: step, value: lossValue)
        metrics.append(run: id, name: "train/lr", step: step, value: p.learningRate)
        metrics.append(run: id, name: "train/grad_norm", step: step, value: norms.global)
        metrics.append(run: id, name: "train/tokens", step: step, value: Double(tokensSeen))
        metrics.append(run: id, name: "train/tokens_per_s", step: step, value: Double(tokens + completionTokens) / dt)
        let chunks = Double((datums.count + 15) / 16)
        var cvs: [Double] = []
        for (l, layer) in load.enumerated() {
            let fractions = layer.map { $0 / chunks }
            let m = fractions.reduce(0, +) / Double(fractions.count)
            let cv = m > 0 ? (fractions.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(fractions.count)).squareRoot() / m : 0
            cvs.append(cv)
            metrics.append(run: id, name: "router/load_cv/\(l)", step: step, value: cv)
            for (e, f) in fractions.enumerated() { metrics.append(run: id, name: "router/load/\(l)/\(e)", step: step, value: f) }
        }
        if !cvs.isEmpty { metrics.append(run: id, name: "router/load_cv", step: step, value: cvs.reduce(0, +) / Double(cvs.count)) }
        try metrics.flushIfDue()
        let evalEvery = config.eval.every
        if rl.evalPrompts > 0 && ((evalEvery > 0 && step % evalEvery == 0) || step == totalSteps) { _ = try evaluate(step: step) }
        let every = config.checkpoint.every
        if (every > 0 && step % every == 0) || step == totalSteps { try checkpoint(step: step) }
        if step == totalSteps { try finish(.completed) }
        return StepReport(step: step, totalSteps: totalSteps, loss: lossValue, learningRate: p.learningRate, gradNorm: norms.global,
                          tokens: tokens + completionTokens, seconds: dt, reward: mean)
    }

    /// Logprobs of the datums' targets under the base (adapter disabled for the pass).
    func referenceLogprobs(_ datums: [Datum]) throws -> [[Float]] {
        let lora = adapter.lora
        lora.enabled = false
        defer { lora.enabled = true }
        var out: [[Float]] = []
        for chunk in stride(from: 0, to: datums.count, by: 16) {
            let part = Array(datums[chunk..<min(chunk + 16, datums.count)])
            out += try TrainingGraph(model: session.base, adapter: lora).run(part, backward: false).logprobs
        }
        return out
    }

    /// Greedy accuracy on the environment's held-out prompts, with a Wilson 95 % interval (over prompts; one seed).
    public func evaluate(step: Int) throws -> (accuracy: Double, interval: Interval, n: Int) {
        let result = try RLRun.accuracy(environment: environment, count: rl.evalPrompts, maxTokens: rl.maxTokens,
                                        template: template, tokenizer: tokenizer, stopIDs: stopIDs) { ids, params in
            try adapter.sample(prompt: ids, params: params)[0].ids
        }
        metrics.append(run: record.id, name: "eval/accuracy", step: step, value: result.accuracy)
        metrics.append(run: record.id, name: "eval/accuracy_ci_low", step: step, value: result.interval.low)
        metrics.append(run: record.id, name: "eval/accuracy_ci_high", step: step, value: result.interval.high)
        try ws.addEvalResult(EvalResult(runID: record.id, step: step, name: "\(environment.name)/accuracy", value: result.accuracy,
                                        ciLow: result.interval.low, ciHigh: result.interval.high, n: result.n))
        try metrics.flush()
        return result
    }

    /// Greedy accuracy of `generate` (prompt ids, params → completion ids) on `count` held-out prompts.
    public static func accuracy(environment: Environment, count: Int, maxTokens: Int, template: ChatTemplate, tokenizer: Tokenizer,
                                stopIDs: Set<Int>, generate: ([Int], SamplingParams) throws -> [Int]) throws
        -> (accuracy: Double, interval: Interval, n: Int) {
        let prompts = environment.heldOutPrompts(count: count)
        var correct = 0
        for p in prompts {
            let ids = template.encode(p.messages, addGenerationPrompt: true).ids
            let out = try generate(ids, SamplingParams(maxTokens: maxTokens, temperature: 0, stopTokens: stopIDs))
            if environment.reward(p, completion: tokenizer.decode(out, skipSpecialTokens: true)) >= 1 { correct += 1 }
        }
        let interval = try wilsonInterval(successes: correct, trials: max(1, prompts.count))
        return (Double(correct) / Double(max(1, prompts.count)), interval, prompts.count)
    }

    public func checkpoint(step: Int) throws {
        let name = CheckpointRecord.scheduledName(step: step)
        let caller = try JSONEncoder().encode(CallerState(tokens: tokensSeen))
        try metrics.flush()
        try ws.saveCheckpoint(run: record.id, name: name, step: step) { dir in
            try AdapterCheckpoint.writeContents(adapter, into: dir, baseModel: config.model.base ?? "", callerState: caller)
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
