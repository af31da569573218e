import ArgumentParser
import Datasets
import Engine
import Foundation
import Runs
import Stats
import Store
import Tensor
import Terminal
import Workbench

struct BenchTUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tui",
        abstract: "Key → redrawn-screen latency of the workbench while a run trains on every core (JSON).",
        discussion: """
        Opens the workbench on a temporary copy of WORKSPACE, starts CONFIG, waits for the first step, then sends keys
        at random 30–90 ms intervals that switch panes, move cursors and scroll lists. Latency is from the key's
        arrival to the end of the frame that shows it (ANSI-encoded, written to /dev/null). Target: p99 < 50 ms.
        """)

    @Option(help: "Workspace whose models, datasets and configs are copied.") var workspace = "workspaces/default"
    @Option(help: "Run config (relative to the workspace).") var config = "configs/example-sft.toml"
    @Option(help: "Keys to send.") var keys = 400
    @Option(help: "Engine threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Screen size WxH.") var size = "120x40"
    @Option(help: "Seed of the key timings.") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let dims = size.split(separator: "x").compactMap { Int($0) }
        guard dims.count == 2 else { throw LatheError("--size: write WxH, e.g. 120x40") }
        let source = URL(fileURLWithPath: workspace)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-bench-tui-\(UUID().uuidString.prefix(8))")
        let dir = root.appendingPathComponent(source.lastPathComponent)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        for item in ["models", "datasets", "configs"] {
            let from = source.appendingPathComponent(item)
            if FileManager.default.fileExists(atPath: from.path) { try FileManager.default.copyItem(at: from, to: dir.appendingPathComponent(item)) }
        }
        // Long enough that training runs on every core for the whole measurement.
        var runConfig = try wrap { try RunConfig.load(dir.appendingPathComponent(config)) }
        runConfig.training.steps = 1_000_000
        runConfig.checkpoint.every = 0
        let configText = runConfig.toTOML()
        let ws = try wrap { try Workspace.open(dir, mode: .write) }
        let driver = ScriptedDriver(width: dims[0], height: dims[1])
        let host = EngineHost(workspace: ws, threads: threads)
        let app = Workbench(driver: driver, workspace: ws, host: host, themeDirectories: OpenCommand.themeDirectories())
        driver.inject(.char("2"))

        // Keys come from another thread, as from a person; the UI loop runs here on the main thread.
        let script: [Key] = [.char("2"), .char("h"), .char("h"), .char("l"), .char("m"), .char("M"), .char("3"), .char("t"),
                             .char("T"), .char("j"), .char("k"), .char("1"), .char("j"), .char("j"), .char("k"), .char("k"),
                             .char("?"), .escape, .char("2"), .char("L"), .char("L"), .char("s"), .char("S")]
        final class Flag: @unchecked Sendable { var done = false; var started = false }
        let flag = Flag()
        let sender = Thread {
            while !flag.started { Thread.sleep(forTimeInterval: 0.01) }
            var rng = SplitMix64(seed: seed)
            for i in 0..<keys {
                Thread.sleep(forTimeInterval: 0.03 + 0.06 * Double(rng.next() >> 11) * 0x1.0p-53)
                driver.inject(script[i % script.count])
            }
            Thread.sleep(forTimeInterval: 0.2)
            flag.done = true
        }
        sender.start()
        host.start(configText: configText, source: config)
        let began = Date()
        var firstStep: Date?
        var stepsDuring = 0
        while !flag.done {
            app.tick(timeoutMs: 30)
            if firstStep == nil, app.lastStep > 0 { firstStep = Date(); flag.started = true; stderrLine("[bench] run is training; sending \(keys) keys") }
            if Date().timeIntervalSince(began) > 600 { throw LatheError("the run did not start within 10 minutes") }
        }
        stepsDuring = app.lastStep
        let trainingThroughout = app.liveRunID != nil
        host.shutdown()
        try? ws.close()
        // The first key (pane 2, before training) is not part of the measurement.
        let ms = driver.latencies.dropFirst().map { $0 * 1000 }.sorted()
        guard !ms.isEmpty else { throw LatheError("no key was measured") }
        func q(_ p: Double) -> Double { ms[min(ms.count - 1, Int((p * Double(ms.count)).rounded(.up)) - 1)] }
        let result = Result(keys: ms.count, threads: threads, size: size, seed: seed, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99),
                            max_ms: ms.last!, mean_ms: ms.reduce(0, +) / Double(ms.count), frames: driver.frames,
                            bytes_written: driver.bytesWritten, training_steps_during: stepsDuring,
                            training_throughout: trainingThroughout, target_p99_ms: 50,
                            machine: MachineProbe.measure(pool: Runtime.pool(threads: threads)), lathe_commit: BuildInfo.commit)
        if json { try printJSON(result) } else {
            print(String(format: "%d keys while training on %d threads: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 < 50 ms)",
                         result.keys, threads, result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms))
        }
    }

    struct Result: Encodable {
        var keys: Int, threads: Int, size: String, seed: UInt64
        var p50_ms: Double, p90_ms: Double, p99_ms: Double, max_ms: Double, mean_ms: Double
        var frames: Int, bytes_written: Int, training_steps_during: Int, training_throughout: Bool, target_p99_ms: Double
        var machine: MachineProbe.Figures
        var lathe_commit: String
    }
}
