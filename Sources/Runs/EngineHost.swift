import Datasets
import Engine
import Foundation

import Store
import Tensor
import Tokenizer

/// The workbench's side of the engine: one worker thread running training steps, sampling before them
/// (interactive priority), and events back to the UI. Every method is called from the UI thread and returns at once.
public final class EngineHost: @unchecked Sendable {
    public let workspace: Workspace
    public let threads: Int
    private let worker = EngineWorker()
    private let pool: ThreadPool

    // Engine-thread state (touched only inside worker jobs).
    private var session: Session?
    private var template: ChatTemplate?
    private var live: LiveRun?
    private var adapterCache: [(path: String, adapter: TrainableAdapter)] = []
    private var adapterCounter = 0
    private var liveID: String?

    // Shared between threads, under `lock`.
    private let lock = NSLock()
    private var events: [EngineEvent] = []
    private var pauseRequested = false
    private var stopRequested = false
    private var cancelledRequests: Set<Int> = []
    private var nextRequestID = 1

    public init(workspace: Workspace, threads: Int) {
        self.workspace = workspace
        self.threads = threads
        BLAS.setThreads(threads)
        pool = ThreadPool(threads: threads)
    }

    // MARK: events

    public func drainEvents() -> [EngineEvent] {
        lock.lock(); defer { lock.unlock() }
        let out = events
        events.removeAll()
        return out
    }

    private func emit(_ event: EngineEvent) {
        lock.lock(); events.append(event); lock.unlock()
    }

    private func flag(_ body: () -> Void) { lock.lock(); body(); lock.unlock() }

    /// Jobs waiting per priority (interactive, training, background): the status line shows when the engine is busy.
    public var pendingJobs: [Int] { worker.pending }

    // MARK: runs

    /// Starts a new run from config text (`source` names it in errors).
    public func start(configText: String, source: String) {
        launch(.configText(configText, source: source))
    }

    public func resume(runID: String) { launch(.resume(runID: runID)) }

    public func fork(runID: String, checkpoint: String, configText: String) {
        launch(.fork(runID: runID, checkpoint: checkpoint, configText: configText))
    }

    private func launch(_ source: RunSource) {
        flag { pauseRequested = false; stopRequested = false }
        worker.submit(.training) { [self] in
            guard live == nil else {
                emit(.message("a run is already live (\(live!.record.id)); stop it first", isError: true))
                return
            }
            do {
                let base = try configBase(source)
                let s = try loadSession(base)
                let run = try Runs.prepare(workspace: workspace, source: source, session: s) { [self] in
                    self.emit(.message($0, isError: false))
                }
                run.safePoint = { [worker] in worker.runPendingInteractive() }
                live = run
                flag { liveID = run.record.id }
                emit(.runStarted(run.record))
                scheduleStep()
            } catch {
                emit(.message(Self.describe(error), isError: true))
            }
        }
    }

    /// The base model folder a run source names (read before the base is loaded).
    private func configBase(_ source: RunSource) throws -> URL {
        let config: RunConfig
        switch source {
        case .config(let url): config = try wrap { try RunConfig.load(url) }
        case .configText(let text, let name): config = try wrap { try RunConfig.parse(text, source: name) }
        case .resume(let id), .fork(let id, _, nil):
            guard let run = try workspace.run(id) else { throw LatheError("run \(id): not in this workspace") }
            config = try wrap { try RunConfig.parse(run.configTOML, source: "runs/\(id)/config.toml") }
        case .fork(_, _, let text?): config = try wrap { try RunConfig.parse(text, source: "fork") }
        }
        guard let base = config.model.base else { throw LatheError("model.base: missing") }
        return workspace.resolve(base)
    }

    private func loadSession(_ base: URL) throws -> Session {
        if let session {
            guard session.baseDirectory?.standardizedFileURL.path == base.standardizedFileURL.path else {
                throw LatheError("model.base: \(base.path) is not the loaded base \(session.baseDirectory?.path ?? "?"); one base per process")
            }
            return session
        }
        emit(.message("loading base model \(base.lastPathComponent)…", isError: false))
        let s = try Session(baseDirectory: base, precision: .f32, pool: pool)
        guard let tok = s.tokenizer else { throw LatheError("\(base.path): no tokenizer.json") }
        template = try wrap { try ChatTemplate(tokenizer: tok, source: "\(base.lastPathComponent)/tokenizer.json") }
        session = s
        let c = s.base.config
        emit(.baseLoaded(path: base.path, summary: "\(c.numHiddenLayers) layers · hidden \(c.hiddenSize) · \(c.numExperts) experts top-\(c.numExpertsPerTok) · vocab \(c.vocabSize)"))
        return s
    }

    /// Loads the base model in the background so the first sample does not wait for it.
    public func preload(base: URL) {
        worker.submit(.background) { [self] in
            do { _ = try loadSession(base) } catch { emit(.message(Self.describe(error), isError: true)) }
        }
    }

    private func scheduleStep() {
        worker.submit(.training) { [self] in
            guard let run = live else { return }
            lock.lock()
            let pause = pauseRequested, stop = stopRequested
            lock.unlock()
            do {
                if stop {
                    try run.stop(.paused)
                    live = nil; flag { liveID = nil }
                    emit(.runEnded(runID: run.record.id, status: .paused, error: nil))
                    return
                }
                if pause {
                    try run.stop(.paused)
                    emit(.runPaused(runID: run.record.id))
                    return
                }
                let report = try run.step()
                emit(.step(runID: run.record.id, report))
                if run.isFinished {
                    live = nil; flag { liveID = nil }
                    emit(.runEnded(runID: run.record.id, status: .completed, error: nil))
                } else {
                    scheduleStep()
                }
            } catch {
                let message = Self.describe(error)
                run.fail(message)
                live = nil; flag { liveID = nil }
                emit(.runEnded(runID: run.record.id, status: .failed, error: message))
            }
        }
    }

    /// Pauses the live run between steps (a checkpoint is saved; the run stays loaded).
    public func pause() { flag { pauseRequested = true } }

    /// Continues a paused live run.
    public func resumeLive() {
        flag { pauseRequested = false }
        worker.submit(.training) { [self] in
            guard let run = live else { return }
            do {
                _ = try workspace.setStatus(run.record.id, .running)
                emit(.runResumed(runID: run.record.id))
                scheduleStep()
            } catch { emit(.message(Self.describe(error), isError: true)) }
        }
    }

    /// Stops the live run between steps: checkpoint, status paused (resumable), unloaded.
    public func stop() {
        flag { stopRequested = true; pauseRequested = false }
        worker.submit(.training) { [self] in
            // A paused run has no step job queued: stop it here.
            guard let run = live else { return }
            lock.lock(); let stillStopping = stopRequested; lock.unlock()
            guard stillStopping else { return }
            do { try run.stop(.paused) } catch { emit(.message(Self.describe(error), isError: true)) }
            live = nil; flag { liveID = nil }
            emit(.runEnded(runID: run.record.id, status: .paused, error: nil))
        }
    }

    // MARK: sampling

    public func newRequestID() -> Int {
        lock.lock(); defer { lock.unlock() }
        nextRequestID += 1
        return nextRequestID - 1
    }

    public func cancel(request: Int) { flag { cancelledRequests.insert(request) } }

    /// Samples at interactive priority for the workbench's sampling pane: between training steps, from the adapter
    /// as it is right now; stores each sample (kind `probe`, or `probe-base` with the adapter off) when a run is named.
    public func sample(_ r: SampleRequest, base: URL) {
        var target = GenerationTarget.base
        if let run = r.runID, r.useAdapter { target = .run(run) }
        let request = GenerationRequest(target: target, prompt: r.chat ? .chat([ChatMessage(.user, r.prompt)]) : .text(r.prompt),
                                        maxTokens: r.maxTokens, temperature: r.temperature, topP: r.topP, seed: r.seed,
                                        count: r.count, stepOfRun: r.runID)
        generate(request, base: base, onToken: { [self] i, piece in
            emit(.token(request: r.id, sample: i, text: piece.text, logprob: Float(piece.logprob)))
            lock.lock(); defer { lock.unlock() }
            return !cancelledRequests.contains(r.id)
        }, done: { [self] result in
            switch result {
            case .failure(let error): emit(.requestFailed(request: r.id, error: Self.describe(error)))
            case .success(let outcome):
                for (i, c) in outcome.completions.enumerated() {
                    var record: SampleRecord?
                    if let runID = r.runID {
                        let settings = SampleSettings(temperature: r.temperature, topP: r.topP, maxTokens: r.maxTokens,
                                                      seed: r.seed, sampleIndex: i, adapter: r.useAdapter,
                                                      adapterVersion: r.useAdapter ? outcome.adapterVersion : nil, chat: r.chat)
                        record = try? workspace.addSample(SampleRecord(
                            runID: runID, step: outcome.step ?? 0, kind: r.useAdapter ? "probe" : "probe-base", prompt: r.prompt,
                            completion: c.text, settingsJSON: settings.json, tokensJSON: TokenPiece.json(c.pieces)))
                    }
                    emit(.sampleFinished(request: r.id, sample: i, record: record, stopReason: c.stopReason.rawValue))
                }
            }
            flag { cancelledRequests.remove(r.id) }
        })
    }

    /// Generates on the engine thread at interactive priority. `onToken` sees every token's text piece as it is
    /// sampled (return false to stop that sample); `done` gets the completions, or the error. Both run on the engine
    /// thread.
    public func generate(_ r: GenerationRequest, base: URL, onToken: (@Sendable (Int, TokenPiece) -> Bool)? = nil,
                         topTokens: (@Sendable (Int, [(text: String, logprob: Float)]) -> Void)? = nil,
                         done: @escaping @Sendable (Result<GenerationOutcome, Error>) -> Void) {
        worker.submit(.interactive) { [self] in
            done(Result { try runGeneration(r, base: base, onToken: onToken, topTokens: topTokens) })
        }
    }

    private func runGeneration(_ r: GenerationRequest, base: URL, onToken: (@Sendable (Int, TokenPiece) -> Bool)?,
                               topTokens: (@Sendable (Int, [(text: String, logprob: Float)]) -> Void)?) throws -> GenerationOutcome {
        let s = try loadSession(base)
        guard let tokenizer = s.tokenizer, let template else { throw LatheError("\(base.path): no tokenizer") }
        var adapter: TrainableAdapter?
        var step: Int?
        switch r.target {
        case .base: break
        case .run(let runID):
            if let live, live.record.id == runID {
                adapter = live.adapter
                step = live.currentStep
            } else if let ckpt = try workspace.latestCheckpoint(run: runID) {
                adapter = try cachedAdapter(workspace.resolve(ckpt.path), session: s)
                step = ckpt.step
            } else {
                throw LatheError("run \(runID) has no checkpoint yet: nothing to sample from")
            }
        case .checkpoint(let runID, let name):
            guard let ckpt = try workspace.checkpoint(run: runID, name: name) else {
                throw LatheError("run \(runID) has no checkpoint \(name)")
            }
            adapter = try cachedAdapter(workspace.resolve(ckpt.path), session: s)
            step = ckpt.step
        case .adapterDirectory(let url):
            adapter = try cachedAdapter(url, session: s)
        }
        if step == nil, let run = r.stepOfRun {
            step = live?.record.id == run ? live?.currentStep : (try? workspace.run(run))?.lastStep
        }
        let ids: [Int]
        switch r.prompt {
        case .text(let text): ids = tokenizer.encode(text)
        case .chat(let messages): ids = template.encode(messages, addGenerationPrompt: true).ids
        case .ids(let given): ids = given
        }
        guard !ids.isEmpty else { throw LatheError("prompt: empty") }
        var stops = SFTRun.stopTokens(session: s, tokenizer: tokenizer)
        if !r.stopAtEOS { stops = [] }
        var maxTokens = r.maxTokens
        if r.clampToContext { maxTokens = max(1, min(maxTokens, s.base.config.maxPositionEmbeddings - ids.count)) }
        let params = SamplingParams(maxTokens: maxTokens, temperature: Float(r.temperature), topP: Float(r.topP),
                                    seed: r.seed, stopTokens: stops, stopStrings: r.stop, topLogprobs: r.topLogprobs)
        var sampled = Array(repeating: [Int](), count: r.count)
        var texts = Array(repeating: "", count: r.count)
        var pieces = Array(repeating: [TokenPiece](), count: r.count)
        let callback: Generator.TokenCallback = { i, id, lp, top in
            sampled[i].append(id)
            // A token can end inside a UTF-8 sequence: hold back trailing U+FFFD until the next token completes it.
            var stable = tokenizer.decode(sampled[i], skipSpecialTokens: true)
            while stable.unicodeScalars.last == "\u{FFFD}" { stable.unicodeScalars.removeLast() }
            let shared = stable.commonPrefix(with: texts[i]).count
            let piece = TokenPiece(text: String(stable.dropFirst(shared)), logprob: Double(lp))
            texts[i] = stable
            pieces[i].append(piece)
            if let topTokens, !top.isEmpty {
                topTokens(i, top.map { (tokenizer.decode([$0.id], skipSpecialTokens: false), $0.logprob) })
            }
            return onToken?(i, piece) ?? true
        }
        let version = adapter?.version
        let completions = try (adapter?.sample(prompt: ids, params: params, count: r.count, onToken: callback)
            ?? s.sample(prompt: ids, params: params, count: r.count, onToken: callback))
        var out = GenerationOutcome(promptTokens: ids.count, step: step, adapterVersion: version)
        for (i, c) in completions.enumerated() {
            // The text is what streamed (stop strings cut there too), so a stream and a final answer agree.
            var text = c.text ?? texts[i]
            for s in r.stop { if let range = text.range(of: s) { text = String(text[..<range.lowerBound]) } }
            out.completions.append(GeneratedText(ids: c.ids, text: text, pieces: pieces[i], stopReason: c.stopReason,
                                                 topLogprobs: c.topLogprobs.map { $0.map { (tokenizer.decode([$0.id], skipSpecialTokens: false), $0.logprob) } }))
        }
        return out
    }

    /// An adapter read from a checkpoint or PEFT folder, kept for reuse (at most 8; the oldest is dropped).
    private func cachedAdapter(_ url: URL, session s: Session) throws -> TrainableAdapter {
        let key = url.standardizedFileURL.path
        if let i = adapterCache.firstIndex(where: { $0.path == key }) { return adapterCache[i].adapter }
        let name = "view:\(adapterCounter)"
        adapterCounter += 1
        let a = try s.importAdapter(name, from: url)
        adapterCache.append((key, a))
        if adapterCache.count > 8 { s.removeAdapter(adapterCache.removeFirst().adapter.name) }
        return a
    }

    /// Model names a server lists: the base, each run (its live adapter here or its latest checkpoint), and each
    /// checkpoint as RUN/NAME. Read on the caller's thread (store reads only).
    public func servedRuns() -> [(run: RunRecord, checkpoints: [CheckpointRecord])] {
        let runs = (try? workspace.runs()) ?? []
        return runs.map { ($0, (try? workspace.checkpoints(run: $0.id, kind: .state)) ?? []) }
    }

    public var liveRunID: String? {
        lock.lock(); defer { lock.unlock() }
        return liveID
    }

    /// Runs `job` on the engine thread at background priority (after interactive sampling and training steps):
    /// the entry point for other engine work, e.g. few-shot vision trials, one job per trial.
    public func submitBackground(_ job: @escaping () -> Void) { worker.submit(.background, job) }

    // MARK: shutdown

    /// Stops the live run with a checkpoint (status paused, resumable), waits for the worker, and frees the pools.
    public func shutdown() {
        stop()
        worker.shutdown()
        pool.shutdown()
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? LatheError { return e.message }
        return "\(error)"
    }
}
