import ArgumentParser
import Datasets
import Engine
import Foundation
import Stats
import Store
import Tensor
import Tokenizer

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train",
        abstract: "Run LoRA SFT headless from a run config (TOML), writing metrics, samples and checkpoints to the workspace.",
        discussion: """
        Ctrl-C saves a checkpoint and stops (the run shows as paused); `--resume RUN` continues a paused or interrupted
        run from its last checkpoint, bit-exactly at the same thread count.
        """)

    @Option(help: "Workspace directory.") var workspace = "workspaces/default"
    @Option(help: "Run config (TOML).") var config: String?
    @Option(help: "Resume this run from its last checkpoint.") var resume: String?

    func validate() throws {
        if (config == nil) == (resume == nil) { throw ValidationError("give exactly one of --config or --resume") }
    }

    func run() throws {
        let ws = try Workspace.open(URL(fileURLWithPath: workspace), mode: .write)
        defer { try? ws.close() }
        let run = try SFTRun.prepare(workspace: ws, configPath: config, resumeID: resume)
        try run.execute()
    }
}

/// One SFT run end to end: config → base model, data, adapter → steps with metrics, eval samples and checkpoints.
final class SFTRun {
    let ws: Workspace
    let record: RunRecord
    let config: RunConfig
    let session: Session
    let adapter: TrainableAdapter
    let template: ChatTemplate
    let tokenizer: Tokenizer
    var iterator: BatchIterator
    let evalSet: [TokenizedExample]
    let metrics: MetricBuffer
    let startStep: Int
    let stopIDs: Set<Int>

    struct CallerState: Codable { var data: BatchIterator.State; var tokens: Int }
    var tokensSeen = 0

    init(ws: Workspace, record: RunRecord, config: RunConfig, session: Session, adapter: TrainableAdapter,
         template: ChatTemplate, tokenizer: Tokenizer, iterator: BatchIterator, evalSet: [TokenizedExample],
         startStep: Int, tokensSeen: Int) {
        self.ws = ws; self.record = record; self.config = config; self.session = session; self.adapter = adapter
        self.template = template; self.tokenizer = tokenizer; self.iterator = iterator; self.evalSet = evalSet
        self.startStep = startStep; self.tokensSeen = tokensSeen
        metrics = MetricBuffer(workspace: ws)
        var stops = Set(session.base.config.eosTokenId)
        if let e = tokenizer.specialTokens["<|im_end|>"] { stops.insert(e) }
        stopIDs = stops
    }

    static func prepare(workspace ws: Workspace, configPath: String?, resumeID: String?) throws -> SFTRun {
        var record: RunRecord
        let config: RunConfig
        if let configPath {
            let url = URL(fileURLWithPath: configPath)
            config = try wrap { try RunConfig.load(url) }
            guard config.kind == .sft else {
                throw LatheError("\(url.lastPathComponent): kind: `lathe train` runs sft configs (use `lathe pretrain` for pretraining)")
            }
            record = RunRecord(id: try ws.newRunID(kind: "sft"), config: config,
                               configText: (try? String(contentsOf: url, encoding: .utf8)) ?? config.toTOML())
        } else {
            guard let found = try ws.run(resumeID!) else { throw LatheError("run \(resumeID!): not in \(ws.directory.path)") }
            record = found
            config = try wrap { try RunConfig.parse(found.configTOML, source: "runs/\(found.id)/config.toml") }
        }
        // Data files are parsed before anything is loaded or created: a bad line stops the run here.
        let trainURL = ws.resolve(config.data.train)
        let trainSet = try wrap { try ChatDataset(contentsOf: trainURL) }
        let evalData = try config.data.eval.map { path in try wrap { try ChatDataset(contentsOf: ws.resolve(path)) } }
        let threads = config.resolvedThreads
        BLAS.setThreads(threads)
        let pool = Runtime.pool(threads: threads)
        let baseDir = ws.resolve(config.model.base!)
        stderrLine("[train] loading \(baseDir.path)")
        let session = try Session(baseDirectory: baseDir, precision: config.model.weights == .bf16 ? .bf16 : .f32,
                                  pool: pool, seed: UInt64(config.seed))
        guard let tokenizer = session.tokenizer else { throw LatheError("\(baseDir.path): no tokenizer.json") }
        let template = try wrap { try ChatTemplate(tokenizer: tokenizer, source: "\(baseDir.lastPathComponent)/tokenizer.json") }

        let tokenized = try wrap {
            try TokenizedDataset(trainSet, template: template, maxLength: config.data.maxLength,
                                 evalFraction: config.data.eval == nil ? config.data.evalFraction : 0, seed: UInt64(config.seed))
        }
        var evalSet = tokenized.eval
        if let evalData {
            evalSet = try wrap { try TokenizedDataset(evalData, template: template, maxLength: config.data.maxLength).train }
        }
        stderrLine("[train] \(tokenized.train.count) training examples (\(tokenized.summary.truncated) truncated), \(evalSet.count) held out")
        let layout: BatchIterator.Layout = config.data.packing ? .packed(rowLength: config.data.maxLength) : .padded
        let lora = config.lora ?? RunConfig.LoRA()
        let loraConfig = LoRAConfig(rank: lora.rank, alpha: lora.alpha,
                                    targets: lora.targets.map { LoRATarget(rawValue: $0.rawValue)! },
                                    useRSLoRA: lora.rslora, dropout: lora.dropout, rankPattern: lora.rankPattern,
                                    alphaPattern: lora.alphaPattern)
        let adapter = try session.createAdapter(record.id, loraConfig, seed: UInt64(config.seed))
        var iterator = BatchIterator(examples: tokenized.train, layout: layout, seed: UInt64(config.seed),
                                     shuffles: config.data.shuffle)
        var startStep = 0, tokens = 0
        if resumeID != nil {
            if let ckpt = try ws.latestCheckpoint(run: record.id) {
                let callerData = try AdapterCheckpoint.load(into: adapter, from: ws.resolve(ckpt.path))
                let caller = try JSONDecoder().decode(CallerState.self, from: callerData ?? Data())
                iterator = try wrap { try BatchIterator(examples: tokenized.train, layout: layout, resumingFrom: caller.data,
                                                        shuffles: config.data.shuffle) }
                startStep = ckpt.step
                tokens = caller.tokens
                try ws.deleteMetrics(run: record.id, afterStep: startStep)
                stderrLine("[train] resuming \(record.id) from \(ckpt.name)")
            } else {
                stderrLine("[train] \(record.id) has no checkpoint: starting it over")
                try ws.deleteMetrics(run: record.id, afterStep: 0)
            }
            record = try ws.setStatus(record.id, .running)
        } else {
            // Provenance: Lathe's commit, data hash, thread count and this machine's figures.
            stderrLine("[train] measuring the machine (sgemm peak, read bandwidth)")
            let machine = MachineProbe.Figures(sgemmGflops: MachineProbe.sgemmPeak(size: 768, reps: 3),
                                               memReadGBs: MachineProbe.memoryReadBandwidth(megabytes: 256, reps: 2, pool: pool))
            record.gitCommit = BuildInfo.commit
            record.dataHash = SHA256.hexDigest(try Data(contentsOf: trainURL))
            record.sgemmGflops = machine.sgemmGflops
            record.memReadGBs = machine.memReadGBs
            record.threads = threads
            record.status = .running
            try ws.createRun(record)
            try FileWriting.atomicWrite(Data(record.configTOML.utf8),
                                        to: ws.runDirectory(record.id).appendingPathComponent("config.toml"))
        }
        return SFTRun(ws: ws, record: record, config: config, session: session, adapter: adapter, template: template,
                      tokenizer: tokenizer, iterator: iterator, evalSet: evalSet, startStep: startStep, tokensSeen: tokens)
    }

    var adam: AdamParams {
        let o = config.optimizer
        return AdamParams(learningRate: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay,
                          gradClipNorm: o.gradClip)
    }

    var schedule: LRSchedule {
        let o = config.optimizer, total = config.training.steps
        switch o.schedule {
        case .constant: return .constant
        case .warmupLinear: return .warmupLinear(warmup: o.warmupSteps, total: total)
        case .warmupCosine: return .warmupCosine(warmup: o.warmupSteps, total: total, minRatio: o.minLRRatio)
        }
    }

    func execute() throws {
        let steps = config.training.steps
        let interrupted = InterruptFlag.install()
        let progress = ProgressLine(total: steps, start: startStep)
        var step = startStep
        do {
            while step < steps {
                let t0 = Date()
                // One optimizer step: grad_accum micro-batches, weights normalised over all their loss tokens.
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
                        throw LatheError("step \(step + 1): \(e.message); the last checkpoint is kept")
                    }
                    loss += out.loss
                    tokens += out.tokens
                }
                let norms = adapter.gradientNorms()
                var p = adam
                p.learningRate = adam.learningRate * schedule.multiplier(step: step)
                let report: AdamW.StepReport
                do { report = try adapter.optimStep(p) } catch let e as LatheError {
                    throw LatheError("step \(step + 1): \(e.message); the last checkpoint is kept")
                }
                guard loss.isFinite else { throw LatheError("step \(step + 1): loss is \(loss); the last checkpoint is kept") }
                step += 1
                tokensSeen += tokens
                let dt = Date().timeIntervalSince(t0)
                let id = record.id
                metrics.append(run: id, name: "train/loss", step: step, value: loss)
                metrics.append(run: id, name: "train/lr", step: step, value: p.learningRate)
                metrics.append(run: id, name: "train/grad_norm", step: step, value: norms.global)
                for (g, v) in norms.byGroup { metrics.append(run: id, name: "train/grad_norm/\(g)", step: step, value: v) }
                metrics.append(run: id, name: "train/update_ratio", step: step,
                               value: report.weightNorm > 0 ? report.updateNorm / report.weightNorm : 0)
                metrics.append(run: id, name: "train/tokens", step: step, value: Double(tokensSeen))
                metrics.append(run: id, name: "train/tokens_per_s", step: step, value: Double(tokens) / dt)
                metrics.append(run: id, name: "train/epoch", step: step, value: iterator.epochProgress)
                _ = try metrics.flushIfDue()
                progress.update(step: step, loss: loss, tokensPerS: Double(tokens) / dt)
                let evalEvery = config.eval.every
                if (evalEvery > 0 && step % evalEvery == 0) || step == steps { try evaluate(step: step) }
                let every = config.checkpoint.every
                if (every > 0 && step % every == 0) || step == steps { try checkpoint(step: step) }
                if interrupted.isSet {
                    if step % max(every, 1) != 0 || every == 0 { try checkpoint(step: step) }
                    try metrics.flush()
                    _ = try ws.setStatus(record.id, .paused)
                    progress.finish()
                    stderrLine("[train] interrupted at step \(step): checkpoint saved; resume with `lathe train --resume \(record.id)`")
                    return
                }
            }
            try metrics.flush()
            _ = try ws.setStatus(record.id, .completed)
            progress.finish()
            stderrLine("[train] \(record.id) completed: \(steps) steps; checkpoints in \(ws.runDirectory(record.id).path)/checkpoints")
        } catch let e as LatheError {
            try? metrics.flush()
            progress.finish()
            _ = try? ws.setStatus(record.id, .failed, errorMessage: e.message)
            throw e
        }
    }

    /// Held-out NLL (mean per loss token, with a 95 % t-interval over examples) and samples of the eval prompts.
    func evaluate(step: Int) throws {
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

    func checkpoint(step: Int) throws {
        let name = String(format: "step-%06d", step)
        let caller = try JSONEncoder().encode(CallerState(data: iterator.state, tokens: tokensSeen))
        try metrics.flush()
        try ws.saveCheckpoint(run: record.id, name: name, step: step) { dir in
            try AdapterCheckpoint.writeContents(adapter, into: dir, baseModel: config.model.base ?? "", callerState: caller)
        }
        _ = try ws.updateRun(record.id) { $0.lastStep = step }
        let keep = config.checkpoint.keep
        if keep > 0 {
            let scheduled = try ws.checkpoints(run: record.id, kind: .state).filter { $0.name.hasPrefix("step-") }
                .sorted { $0.step < $1.step }
            for old in scheduled.dropLast(keep) { try ws.deleteCheckpoint(run: record.id, name: old.name) }
        }
    }
}

/// One status line on stderr: redrawn in place on a terminal, printed every 5 % otherwise.
final class ProgressLine {
    let total: Int
    let start: Int
    let began = Date()
    let tty = isatty(STDERR_FILENO) != 0
    var lastPrinted = -1

    init(total: Int, start: Int) { self.total = total; self.start = start }

    func update(step: Int, loss: Double, tokensPerS: Double) {
        let elapsed = Date().timeIntervalSince(began)
        let done = Double(step - start)
        let eta = done > 0 ? elapsed / done * Double(total - step) : 0
        let width = 24
        let filled = Int(Double(width) * Double(step) / Double(max(total, 1)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "step %d/%d %@ loss %.4f  %.0f tok/s  ETA %@", step, total, bar, loss, tokensPerS,
                          ProgressLine.clock(eta))
        if tty {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            let pct = step * 20 / max(total, 1)
            if pct != lastPrinted || step == total { lastPrinted = pct; stderrLine(line) }
        }
    }

    func finish() { if tty { FileHandle.standardError.write(Data("\n".utf8)) } }

    static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

/// Runs `body`, turning the data and store modules' errors into one-line LatheErrors.
func wrap<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as LatheError { throw e } catch { throw LatheError("\(error)") }
}
