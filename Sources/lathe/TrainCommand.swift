import ArgumentParser
import Datasets
import Engine
import Runs
import Server
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
    @Option(help: "Serve the run's live adapter (and the base, and its checkpoints) OpenAI-style on this port while it trains.")
    var serve: Int?
    @Option(help: "With --serve: address to bind.") var host = "127.0.0.1"
    @Option(help: "With --serve: require `Authorization: Bearer KEY` (needed beyond loopback).") var apiKey: String?

    func validate() throws {
        if (config == nil) == (resume == nil) { throw ValidationError("give exactly one of --config or --resume") }
    }

    func run() throws {
        let ws = try Workspace.open(URL(fileURLWithPath: workspace), mode: .write)
        defer { try? ws.close() }
        let source: RunSource = config.map { .config(URL(fileURLWithPath: $0)) } ?? .resume(runID: resume!)
        if let serve { return try trainServing(ws, source, port: serve) }
        let pool = Runtime.pool(threads: try Self.threads(source, ws))
        let run = try Runs.prepare(workspace: ws, source: source, pool: pool) { stderrLine("[train] " + $0) }
        try Self.execute(run)
    }

    /// Trains on an engine worker that also answers OpenAI requests between optimizer steps, from the live adapter.
    func trainServing(_ ws: Workspace, _ source: RunSource, port: Int) throws {
        let threads = try Self.threads(source, ws)
        let engine = EngineHost(workspace: ws, threads: threads)
        let base: URL
        switch source {
        case .config(let url):
            let c = try wrap { try RunConfig.load(url) }
            base = ws.resolve(c.model.base ?? "")
            engine.start(configText: try wrap { try String(contentsOf: url, encoding: .utf8) }, source: url.lastPathComponent)
        case .resume(let id):
            base = try ServeCommand.baseDirectory(model: nil, run: id, workspace: ws)
            engine.resume(runID: id)
        default: throw LatheError("--serve: give --config or --resume")
        }
        var options = OpenAIServer.Options()
        options.host = host; options.port = port; options.apiKey = apiKey
        let server = try OpenAIServer(engine: engine, baseDirectory: base.standardizedFileURL, workspace: ws, options: options,
                                      fingerprint: "lathe-" + BuildInfo.commit)
        let running = ServeCommand.start(server, host: host, what: "live run", handleSignals: false)
        let interrupted = InterruptFlag.install()
        var progress: ProgressLine?
        var stopping = false
        var failure: String?
        loop: while true {
            for event in engine.drainEvents() {
                switch event {
                case .message(let text, let isError): stderrLine((isError ? "[train] error: " : "[train] ") + text)
                    if isError && progress == nil { failure = text; break loop }
                case .runStarted(let record): stderrLine("[train] \(record.id) started; served as model \(record.id)")
                case .step(_, let r):
                    if progress == nil { progress = ProgressLine(total: r.totalSteps, start: r.step - 1) }
                    progress?.update(r)
                case .runEnded(let id, let status, let error):
                    progress?.finish()
                    if let error { failure = error }
                    else { stderrLine("[train] \(id) \(status == .completed ? "completed" : "stopped (checkpoint saved; resume with --resume \(id))")") }
                    break loop
                default: break
                }
            }
            if interrupted.isSet && !stopping { stopping = true; engine.stop() }
            Thread.sleep(forTimeInterval: 0.05)
        }
        running.stop()
        engine.shutdown()
        if let failure { throw LatheError(failure) }
    }

    /// The config's thread count, read before the base model is loaded so the pool is sized once.
    static func threads(_ source: RunSource, _ ws: Workspace) throws -> Int {
        switch source {
        case .config(let url): return try wrap { try RunConfig.load(url) }.resolvedThreads
        case .resume(let id):
            guard let found = try ws.run(id) else { throw LatheError("run \(id): not in \(ws.directory.path)") }
            return try wrap { try RunConfig.parse(found.configTOML, source: "runs/\(id)/config.toml") }.resolvedThreads
        default: return Runtime.defaultThreads
        }
    }

    /// Steps to the end with a progress line; Ctrl-C checkpoints and pauses between steps.
    static func execute(_ run: LiveRun) throws {
        let interrupted = InterruptFlag.install()
        let progress = ProgressLine(total: run.totalSteps, start: run.startStep)
        do {
            while !run.isFinished {
                let report = try run.step()
                progress.update(report)
                if interrupted.isSet && !run.isFinished {
                    try run.stop(.paused)
                    progress.finish()
                    stderrLine("[train] interrupted at step \(report.step): checkpoint saved; resume with `lathe train --resume \(run.record.id)`")
                    return
                }
            }
            progress.finish()
            stderrLine("[train] \(run.record.id) completed: \(run.totalSteps) steps; checkpoints in \(run.ws.runDirectory(run.record.id).path)/checkpoints")
        } catch {
            // A store or file error (a full disk, say) too: the run is marked failed with the message where the
            // database still takes it, and its last checkpoint stays as it was, to resume from.
            progress.finish()
            run.fail((error as? LatheError)?.message ?? "\(error)")
            throw error
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

    func update(_ r: StepReport) {
        update(step: r.step, figure: r.reward.map { String(format: "reward %.3f", $0) } ?? String(format: "loss %.4f", r.loss),
               tokensPerS: r.tokensPerSecond)
    }

    func update(step: Int, figure: String, tokensPerS: Double) {
        let elapsed = Date().timeIntervalSince(began)
        let done = Double(step - start)
        let eta = done > 0 ? elapsed / done * Double(total - step) : 0
        let width = 24
        let filled = Int(Double(width) * Double(step) / Double(max(total, 1)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "step %d/%d %@ %@  %.0f tok/s  ETA %@", step, total, bar, figure, tokensPerS,
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
