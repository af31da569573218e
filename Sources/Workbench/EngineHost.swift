import Datasets
import Engine
import Foundation
import Runs
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
    private var live: SFTRun?
    private var viewAdapters: [String: (checkpoint: String, adapter: TrainableAdapter, step: Int)] = [:]

    // Shared between threads, under `lock`.
    private let lock = NSLock()
    private var events: [WorkbenchEvent] = []
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

    public func drainEvents() -> [WorkbenchEvent] {
        lock.lock(); defer { lock.unlock() }
        let out = events
        events.removeAll()
        return out
    }

    private func emit(_ event: WorkbenchEvent) {
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
                let run = try SFTRun.prepare(workspace: workspace, source: source, session: s) { [self] in
                    self.emit(.message($0, isError: false))
                }
                live = run
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
                    live = nil
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
                    live = nil
                    emit(.runEnded(runID: run.record.id, status: .completed, error: nil))
                } else {
                    scheduleStep()
                }
            } catch {
                let message = Self.describe(error)
                run.fail(message)
                live = nil
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
            live = nil
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

    /// Samples at interactive priority: between training steps, from the adapter as it is right now.
    public func sample(_ request: SampleRequest, base: URL) {
        worker.submit(.interactive) { [self] in
            do { try runSample(request, base: base) } catch {
                emit(.requestFailed(request: request.id, error: Self.describe(error)))
            }
        }
    }

    private func runSample(_ r: SampleRequest, base: URL) throws {
        let s = try loadSession(base)
        guard let tokenizer = s.tokenizer, let template else { throw LatheError("\(base.path): no tokenizer") }
        var adapter: TrainableAdapter?
        var step = 0
        if let runID = r.runID {
            if let live, live.record.id == runID {
                if r.useAdapter { adapter = live.adapter }
                step = live.currentStep
            } else if let ckpt = try workspace.latestCheckpoint(run: runID) {
                if r.useAdapter { adapter = try viewAdapter(runID, checkpoint: ckpt, session: s) }
                step = ckpt.step
            } else if r.useAdapter {
                throw LatheError("run \(runID) has no checkpoint yet: nothing to sample from")
            }
        }
        let ids = r.chat ? template.encode([ChatMessage(.user, r.prompt)], addGenerationPrompt: true).ids
                         : tokenizer.encode(r.prompt)
        guard !ids.isEmpty else { throw LatheError("prompt: empty") }
        let params = SamplingParams(maxTokens: r.maxTokens, temperature: Float(r.temperature), topP: Float(r.topP),
                                    seed: r.seed, stopTokens: SFTRun.stopTokens(session: s, tokenizer: tokenizer))
        var sampled = Array(repeating: [Int](), count: r.count)
        var texts = Array(repeating: "", count: r.count)
        var pieces = Array(repeating: [(String, Float)](), count: r.count)
        let onToken: Generator.TokenCallback = { [self] i, id, lp in
            sampled[i].append(id)
            // A token can end inside a UTF-8 sequence: hold back trailing U+FFFD until the next token completes it.
            var stable = tokenizer.decode(sampled[i], skipSpecialTokens: true)
            while stable.unicodeScalars.last == "\u{FFFD}" { stable.unicodeScalars.removeLast() }
            let shared = stable.commonPrefix(with: texts[i]).count
            let piece = String(stable.dropFirst(shared))
            texts[i] = stable
            pieces[i].append((piece, lp))
            emit(.token(request: r.id, sample: i, text: piece, logprob: lp))
            lock.lock(); defer { lock.unlock() }
            return !cancelledRequests.contains(r.id)
        }
        let version = adapter?.version ?? 0
        let completions = try (adapter?.sample(prompt: ids, params: params, count: r.count, onToken: onToken)
            ?? s.sample(prompt: ids, params: params, count: r.count, onToken: onToken))
        for (i, c) in completions.enumerated() {
            var record: SampleRecord?
            if let runID = r.runID {
                let settings = SampleSettings(temperature: r.temperature, topP: r.topP, maxTokens: r.maxTokens,
                                              seed: r.seed, sampleIndex: i, adapter: r.useAdapter,
                                              adapterVersion: r.useAdapter ? version : nil, chat: r.chat)
                let tokens = pieces[i].map { TokenPiece(text: $0.0, logprob: Double($0.1)) }
                record = try workspace.addSample(SampleRecord(
                    runID: runID, step: step, kind: r.useAdapter ? "probe" : "probe-base", prompt: r.prompt,
                    completion: c.text ?? "", settingsJSON: settings.json, tokensJSON: TokenPiece.json(tokens)))
            }
            emit(.sampleFinished(request: r.id, sample: i, record: record, stopReason: c.stopReason.rawValue))
        }
        flag { cancelledRequests.remove(r.id) }
    }

    /// A finished or stopped run's adapter at its latest checkpoint, loaded once per checkpoint.
    private func viewAdapter(_ runID: String, checkpoint: CheckpointRecord, session s: Session) throws -> TrainableAdapter {
        if let cached = viewAdapters[runID], cached.checkpoint == checkpoint.path { return cached.adapter }
        let name = "view:" + runID
        s.removeAdapter(name)
        let a = try s.importAdapter(name, from: workspace.resolve(checkpoint.path))
        viewAdapters[runID] = (checkpoint.path, a, checkpoint.step)
        return a
    }

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
