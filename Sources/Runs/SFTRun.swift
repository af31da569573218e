import Datasets
import Engine
import Foundation
import Stats
import Store
import Tensor
import Tokenizer

/// Where a run comes from: a new config, a paused/interrupted run to resume, or a checkpoint to fork.
public enum RunSource {
    /// A config file, or config text with the name errors should cite.
    case config(URL)
    case configText(String, source: String)
    case resume(runID: String)
    /// A new run starting from a checkpoint of another run (adapter, optimizer and data position), with `configText`
    /// (the parent's config, possibly edited) when given.
    case fork(runID: String, checkpoint: String, configText: String?)
}

/// One optimizer step's figures, as the loop reports them to the CLI's progress line or the workbench.
public struct StepReport: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var loss: Double
    public var learningRate: Double
    public var gradNorm: Double
    public var tokens: Int
    public var seconds: Double
    /// RL runs: the step's mean reward (the progress line shows it instead of the loss).
    public var reward: Double?
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
}

/// One SFT run: config → base model, data, adapter → steps with metrics, eval samples and checkpoints.
/// Driven one optimizer step at a time (`step()`), so a caller can serve other work between steps.
public final class SFTRun: LiveRun, @unchecked Sendable {
    /// Unused: an SFT step is one short job.
    public var safePoint: (() -> Void)?
    public let ws: Workspace
    public private(set) var record: RunRecord
    public let config: RunConfig
    public let session: Session
    public let adapter: TrainableAdapter
    public let template: ChatTemplate
    public let tokenizer: Tokenizer
    var iterator: BatchIterator
    let evalSet: [TokenizedExample]
    public let metrics: MetricBuffer
    public let startStep: Int
    public private(set) var currentStep: Int
    public let stopIDs: Set<Int>
    var tokensSeen = 0

    struct CallerState: Codable { var data: BatchIterator.State; var tokens: Int }

    init(ws: Workspace, record: RunRecord, config: RunConfig, session: Session, adapter: TrainableAdapter,
         template: ChatTemplate, tokenizer: Tokenizer, iterator: BatchIterator, evalSet: [TokenizedExample],
         startStep: Int, tokensSeen: Int) {
        self.ws = ws; self.record = record; self.config = config; self.session = session; self.adapter = adapter
        self.template = template; self.tokenizer = tokenizer; self.iterator = iterator; self.evalSet = evalSet
        self.startStep = startStep; self.currentStep = startStep; self.tokensSeen = tokensSeen
        metrics = MetricBuffer(workspace: ws)
        stopIDs = SFTRun.stopTokens(session: session, tokenizer: tokenizer)
    }

    /// The base model's EOS ids plus `<|im_end|>`: where a chat completion stops.
    public static func stopTokens(session: Session, tokenizer: Tokenizer) -> Set<Int> {
        var stops = Set(session.base.config.eosTokenId)
        if let e = tokenizer.specialTokens["<|im_end|>"] { stops.insert(e) }
        return stops
    }

    /// Reads and checks everything a run needs, creates (or reopens) its record, and loads the base model unless
    /// `session` already holds it. `log` receives one-line progress messages.
    public static func prepare(workspace ws: Workspace, source: RunSource, session existing: Session? = nil,
                               pool: ThreadPool? = nil, log: (String) -> Void) throws -> SFTRun {
        try prepare(workspace: ws, source: source, resolved: RunSetup.resolve(source, ws), session: existing, pool: pool, log: log)
    }

    static func prepare(workspace ws: Workspace, source: RunSource, resolved: RunSetup.Resolved, session existing: Session?,
                        pool: ThreadPool?, log: (String) -> Void) throws -> SFTRun {
        var record = resolved.record
        let config = resolved.config
        let parentCheckpoint = resolved.parentCheckpoint
        guard config.kind == .sft else {
            throw LatheError("\(record.id): kind: this loop runs sft configs")
        }
        // Data files are parsed before anything is loaded or created: a bad line stops the run here.
        let trainURL = ws.resolve(config.data.train)
        let trainSet = try wrap { try ChatDataset(contentsOf: trainURL) }
        let evalData = try config.data.eval.map { path in try wrap { try ChatDataset(contentsOf: ws.resolve(path)) } }
        let (session, tokenizer, template) = try RunSetup.session(config, ws, existing: existing, pool: pool, log: log)

        let tokenized = try wrap {
            try TokenizedDataset(trainSet, template: template, maxLength: config.data.maxLength,
                                 evalFraction: config.data.eval == nil ? config.data.evalFraction : 0, seed: UInt64(config.seed))
        }
        var evalSet = tokenized.eval
        if let evalData {
            evalSet = try wrap { try TokenizedDataset(evalData, template: template, maxLength: config.data.maxLength).train }
        }
        log("\(tokenized.train.count) training examples (\(tokenized.summary.truncated) truncated), \(evalSet.count) held out")
        let layout: BatchIterator.Layout = config.data.packing ? .packed(rowLength: config.data.maxLength) : .padded
        let adapter = try RunSetup.adapter(config, record, session)
        var iterator = BatchIterator(examples: tokenized.train, layout: layout, seed: UInt64(config.seed),
                                     shuffles: config.data.shuffle)
        var startStep = 0, tokens = 0
        func restore(from ckpt: CheckpointRecord) throws {
            let callerData = try AdapterCheckpoint.load(into: adapter, from: ws.resolve(ckpt.path))
            let caller = try JSONDecoder().decode(CallerState.self, from: callerData ?? Data())
            iterator = try wrap { try BatchIterator(examples: tokenized.train, layout: layout, resumingFrom: caller.data,
                                                    shuffles: config.data.shuffle) }
            startStep = ckpt.step
            tokens = caller.tokens
        }
        if case .resume = source {
            if let ckpt = try ws.latestCheckpoint(run: record.id) {
                try restore(from: ckpt)
                try ws.deleteMetrics(run: record.id, afterStep: startStep)
                log("resuming \(record.id) from \(ckpt.name)")
            } else {
                log("\(record.id) has no checkpoint: starting it over")
                try ws.deleteMetrics(run: record.id, afterStep: 0)
            }
            record = try ws.setStatus(record.id, .running)
        } else {
            if let parentCheckpoint {
                try restore(from: parentCheckpoint)
                log("forking \(record.parentRunID!) at \(parentCheckpoint.name) into \(record.id)")
            }
            try RunSetup.create(&record, config, ws, session: session, dataHash: SHA256.hexDigest(try Data(contentsOf: trainURL)),
                                startStep: startStep, log: log)
        }
        return SFTRun(ws: ws, record: record, config: config, session: session, adapter: adapter, template: template,
                      tokenizer: tokenizer, iterator: iterator, evalSet: evalSet, startStep: startStep, tokensSeen: tokens)
    }

    public var totalSteps: Int { config.training.steps }
    public var isFinished: Bool { currentStep >= totalSteps }

    var adam: AdamParams { RunSetup.adam(config) }
    var schedule: LRSchedule { RunSetup.schedule(config) }

    /// One optimizer step (grad_accum micro-batches, weights normalised over all their loss tokens), its metrics,
    /// and the eval and checkpoint the config schedules at that step. A failure keeps the last checkpoint.
    @discardableResult
    public func step() throws -> StepReport {
        precondition(!isFinished, "step() after the last step")
        let t0 = Date()
        let stepNumber = currentStep + 1
        var micro: [[TokenizedExample]] = []
        for _ in 0..<config.training.gradAccum { micro.append(iterator.nextBatch(size: config.training.batchSize)) }
        let lossTokens = micro.joined().reduce(0) { $0 + $1.lossTokens }
        var loss = 0.0, tokens = 0
        for batch in micro {
            let datums = batch.map { ex in
                Datum(tokens: Array(ex.ids.dropLast()), targets: Array(ex.ids.dropFirst()),
                      weights: ex.weights.dropFirst().map { $0 / Float(max(1, lossTokens)) })
            }
            let out: ForwardBackwardOutput
            do { out = try adapter.forwardBackward(datums) } catch let e as LatheError {
                throw LatheError("step \(stepNumber): \(e.message); the last checkpoint is kept")
            }
            loss += out.loss
            tokens += out.tokens
        }
        let norms = adapter.gradientNorms()
        var p = adam
        p.learningRate = adam.learningRate * schedule.multiplier(step: currentStep)
        let report: AdamW.StepReport
        do { report = try adapter.optimStep(p) } catch let e as LatheError {
            throw LatheError("step \(stepNumber): \(e.message); the last checkpoint is kept")
        }
        guard loss.isFinite else { throw LatheError("step \(stepNumber): loss is \(loss); the last checkpoint is kept") }
        currentStep = stepNumber
        tokensSeen += tokens
        let dt = Date().timeIntervalSince(t0)
        let id = record.id, step = stepNumber
        metrics.append(run: id, name: "train/loss", step: step, value: loss)
        metrics.append(run: id, name: "train/lr", step: step, value: p.learningRate)
        metrics.append(run: id, name: "train/grad_norm", step: step, value: norms.global)
        for (g, v) in norms.byGroup { metrics.append(run: id, name: "train/grad_norm/\(g)", step: step, value: v) }
        metrics.append(run: id, name: "train/update_ratio", step: step,
                       value: report.weightNorm > 0 ? report.updateNorm / report.weightNorm : 0)
        metrics.append(run: id, name: "train/tokens", step: step, value: Double(tokensSeen))
        metrics.append(run: id, name: "train/tokens_per_s", step: step, value: Double(tokens) / dt)
        metrics.append(run: id, name: "train/epoch", step: step, value: iterator.epochProgress)
        try metrics.flushIfDue()
        let evalEvery = config.eval.every
        if (evalEvery > 0 && step % evalEvery == 0) || step == totalSteps { try evaluate(step: step) }
        let every = config.checkpoint.every
        if (every > 0 && step % every == 0) || step == totalSteps { try checkpoint(step: step) }
        if step == totalSteps { try finish(.completed) }
        return StepReport(step: step, totalSteps: totalSteps, loss: loss, learningRate: p.learningRate,
                          gradNorm: norms.global, tokens: tokens, seconds: dt)
    }

    /// Stops between steps: saves a checkpoint when the last step has none, flushes metrics, records `status`.
    public func stop(_ status: RunStatus) throws {
        if currentStep > startStep, try ws.checkpoint(run: record.id, name: CheckpointRecord.scheduledName(step: currentStep)) == nil {
            try checkpoint(step: currentStep)
        }
        try finish(status)
    }

    /// Records a failure (the last checkpoint stays the resume point).
    public func fail(_ message: String) {
        try? metrics.flush()
        record = (try? ws.setStatus(record.id, .failed, errorMessage: message)) ?? record
    }

    func finish(_ status: RunStatus) throws {
        try metrics.flush()
        record = try ws.setStatus(record.id, status)
    }

    /// Held-out NLL (mean per loss token, with a 95 % t-interval over examples) and samples of the eval prompts.
    public func evaluate(step: Int) throws {
        if !evalSet.isEmpty {
            var perExample: [Double] = []
            var total = 0.0, count = 0.0
            for chunk in stride(from: 0, to: evalSet.count, by: 8) {
                let part = evalSet[chunk..<min(chunk + 8, evalSet.count)]
                let datums = part.map { ex in
                    Datum(tokens: Array(ex.ids.dropLast()), targets: Array(ex.ids.dropFirst()), weights: Array(ex.weights.dropFirst()))
                }
                let out = try TrainingGraph(model: session.base, adapter: adapter.lora).run(datums, backward: false)
                for (d, lp) in zip(datums, out.logprobs) {
                    var s = 0.0, w = 0.0
                    for (l, wt) in zip(lp, d.weights) where wt > 0 { s -= Double(l) * Double(wt); w += Double(wt) }
                    if w > 0 { perExample.append(s / w); total += s; count += w }
                }
            }
            let mean = total / max(count, 1)
            metrics.append(run: record.id, name: "eval/nll", step: step, value: mean)
            // 95 % Student-t interval over held-out examples (the interval is over data; one seed).
            if let ci = try? tInterval(perExample) {
                metrics.append(run: record.id, name: "eval/nll_ci_low", step: step, value: ci.low)
                metrics.append(run: record.id, name: "eval/nll_ci_high", step: step, value: ci.high)
            }
        }
        var samples: [SampleRecord] = []
        let params = SamplingParams(maxTokens: config.eval.maxTokens, temperature: Float(config.eval.temperature),
                                    seed: UInt64(config.seed), stopTokens: stopIDs)
        for prompt in config.eval.prompts {
            let ids = template.encode([ChatMessage(.user, prompt)], addGenerationPrompt: true).ids
            let out = try adapter.sample(prompt: ids, params: params)[0]
            let settings = "{\"temperature\":\(config.eval.temperature),\"max_tokens\":\(config.eval.maxTokens),\"seed\":\(config.seed),\"adapter_version\":\(adapter.version)}"
            samples.append(SampleRecord(runID: record.id, step: step, kind: "eval", prompt: prompt,
                                        completion: out.text ?? "", settingsJSON: settings))
        }
        if !samples.isEmpty { _ = try ws.addSamples(samples) }
        try metrics.flush()
    }

    public func checkpoint(step: Int) throws {
        let name = CheckpointRecord.scheduledName(step: step)
        let caller = try JSONEncoder().encode(CallerState(data: iterator.state, tokens: tokensSeen))
        try metrics.flush()
        try ws.saveCheckpoint(run: record.id, name: name, step: step) { dir in
            try AdapterCheckpoint.writeContents(adapter, into: dir, baseModel: config.model.base ?? "", callerState: caller)
        }
        record = try ws.updateRun(record.id) { $0.lastStep = step }
        let keep = config.checkpoint.keep
        if keep > 0 {
            let scheduled = try ws.checkpoints(run: record.id, kind: .state).filter { $0.name.hasPrefix("step-") }
                .sorted { $0.step < $1.step }
            for old in scheduled.dropLast(keep) { try ws.deleteCheckpoint(run: record.id, name: old.name) }
        }
    }
}
