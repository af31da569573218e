import ArgumentParser
import Engine
import Foundation
import Runs
import Store
import Tensor
import Terminal
import Workbench

struct BenchWorkspaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workspace",
        abstract: "Reload time of a workspace holding 100 k metric points and 1 k samples (JSON). Target: < 1 s.",
        discussion: """
        Builds a scratch workspace (one run, 10 curves × 10 000 steps, 1 000 samples with token detail, 100 ratings),
        closes it, then times, REPS times: opening it, reading every point, sample and rating back, and opening the
        workbench on it up to its first drawn frame of the curves pane. Medians are reported.
        """)

    @Option(help: "Metric points in total.") var points = 100_000
    @Option(help: "Samples.") var samples = 1_000
    @Option(help: "Repetitions (the median is reported).") var reps = 5
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-bench-ws-\(UUID().uuidString.prefix(8))")
        let dir = root.appendingPathComponent("bench")
        defer { try? FileManager.default.removeItem(at: root) }
        let build = Date()
        do {
            let ws = try wrap { try Workspace.open(dir, mode: .write) }
            let config = "name = \"bench\"\nkind = \"sft\"\n"
            try wrap { try ws.createRun(RunRecord(id: "sft-bench", name: "bench", kind: "sft", status: .completed, configTOML: config,
                                                  configHash: SHA256.hexDigest(config), lastStep: points / 10)) }
            let names = ["train/loss"] + (1..<10).map { "train/metric\($0)" }
            let perCurve = points / names.count
            var batch: [MetricPoint] = []
            for name in names {
                for step in 1...perCurve {
                    batch.append(MetricPoint(runID: "sft-bench", name: name, step: step, value: 3 * exp(-Double(step) / 2000) + 0.5,
                                             wallTime: 1.8e9 + Double(step)))
                }
            }
            try wrap { try ws.appendMetrics(batch) }
            let tokens = "[" + (0..<48).map { "{\"text\":\" tok\($0)\",\"logprob\":-\(Double($0 % 7) / 3)}" }.joined(separator: ",") + "]"
            let records = (0..<samples).map { i in
                SampleRecord(runID: "sft-bench", step: i * 10, kind: i % 2 == 0 ? "probe" : "probe-base", prompt: "prompt \(i)",
                             completion: String(repeating: " tok", count: 48), settingsJSON: "{\"seed\":\(i),\"sample_index\":0}",
                             tokensJSON: tokens)
            }
            let stored = try wrap { try ws.addSamples(records) }
            for s in stored.prefix(100) { try wrap { try ws.setFeedback(sampleID: s.id!, rating: 1) } }
            try ws.close()
        }
        let buildSeconds = Date().timeIntervalSince(build)

        var open: [Double] = [], read: [Double] = [], firstFrame: [Double] = []
        var counts = (points: 0, samples: 0, ratings: 0)
        for _ in 0..<reps {
            var t = Date()
            let ws = try wrap { try Workspace.open(dir, mode: .write) }
            open.append(Date().timeIntervalSince(t))
            t = Date()
            let all = try wrap { try ws.allMetrics(run: "sft-bench") }
            let ss = try wrap { try ws.samples(run: "sft-bench") }
            let fb = try wrap { try ws.feedback(run: "sft-bench") }
            read.append(Date().timeIntervalSince(t))
            counts = (all.count, ss.count, fb.count)
            try ws.close()

            t = Date()
            let ws2 = try wrap { try Workspace.open(dir, mode: .write) }
            try ws2.setUIState("workbench", #"{"pane":2,"overlayRuns":["sft-bench"],"selectedRun":"sft-bench","metric":"train/loss","smoothing":0.6,"logY":false,"xAxis":"step","prompt":"","chat":true,"showBase":true,"temperature":0.8,"topP":0.95,"count":1,"maxTokens":48,"seed":1}"#)
            let driver = TextDriver(width: 120, height: 40)
            let app = Workbench(driver: driver, workspace: ws2, host: nil, themeDirectories: OpenCommand.themeDirectories())
            app.tick(timeoutMs: 0)
            firstFrame.append(Date().timeIntervalSince(t))
            guard driver.text.contains("sft-bench step \(points / 10)") else {
                throw LatheError("the first frame does not show the whole curve:\n\(driver.text)")
            }
            app.finish()
            try ws2.close()
        }
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        let result = Result(points: counts.points, samples: counts.samples, ratings: counts.ratings, reps: reps,
                            build_s: buildSeconds, open_s: median(open), read_all_s: median(read),
                            reload_s: median(open) + median(read), workbench_first_frame_s: median(firstFrame),
                            target_s: 1.0, machine: MachineProbe.measure(pool: Runtime.pool(threads: Runtime.defaultThreads)),
                            lathe_commit: BuildInfo.commit)
        if json { try printJSON(result) } else {
            print(String(format: "%d points + %d samples: open %.3f s, read back %.3f s, workbench first frame %.3f s (target < 1 s; median of %d)",
                         result.points, result.samples, result.open_s, result.read_all_s, result.workbench_first_frame_s, reps))
        }
    }

    struct Result: Encodable {
        var points: Int, samples: Int, ratings: Int, reps: Int
        var build_s: Double, open_s: Double, read_all_s: Double, reload_s: Double, workbench_first_frame_s: Double, target_s: Double
        var machine: MachineProbe.Figures
        var lathe_commit: String
    }
}
