import ArgumentParser
import Engine
import Foundation
import Tensor
import Vision

struct VisionTrialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vision-trial",
        abstract: "Few-shot image classification trials: VLM + LoRA vs a self-supervised encoder vs raw pixels.",
        discussion: """
        Every (shots, seed) draws one support set (shots images per class from train 50 000–59 999) used by every \
        method; each method is scored on the fixed class-balanced test subset of t10k. The VLM fine-tunes a rank-32 \
        LoRA for the same number of steps at every shot count and answers by greedy decoding, scored by exact match. \
        Accuracies are means over seeds with 95 % bootstrap intervals, split by class names seen / unseen in caption \
        pretraining; `paired` gives method differences on the same support sets. Progress goes to stderr; Ctrl-C \
        stops after the current trial and reports what finished.
        """)

    @Option(help: "IDX folder with classes.txt (default: Debian's Fashion-MNIST).") var data = VisionData.fashionMNISTDirectory.path
    @Option(help: "quick (< 1 min) or full (the whole grid).") var preset = "quick"
    @Option(help: "Comma-separated: vlm,encoder,pixels.") var methods: String?
    @Option(help: "Comma-separated shots per class.") var shots: String?
    @Option(help: "Seeds (support sets) per shot count.") var seeds: Int?
    @Option(name: .customLong("test-size"), help: "Images in the class-balanced test subset.") var testSize: Int?
    @Option(name: .customLong("vlm-steps"), help: "LoRA optimizer steps per VLM trial.") var vlmSteps: Int?
    @Option(name: .customLong("vlm-lr"), help: "LoRA learning rate.") var vlmLR: Double?
    @Option(help: "Workspace whose models/vision/{vlm,ssl} and base model are used.") var workspace = "workspaces/default"
    @Option(help: "Engine threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Also measure the machine (sgemm peak, read bandwidth) into the JSON.") var machine = false
    @Flag(help: "Print one JSON object.") var json = false

    func settings() throws -> TrialSettings {
        var s = try TrialSettings.preset(preset)
        if let methods {
            s.methods = try methods.split(separator: ",").map { m in
                guard let v = TrialMethod(rawValue: m.trimmingCharacters(in: .whitespaces)) else {
                    throw LatheError("--methods: unknown method \"\(m)\" (vlm, encoder, pixels)")
                }
                return v
            }
        }
        if let shots { s.shots = try parseIDs(shots, flag: "--shots") }
        if let seeds { s.seeds = seeds }
        if let testSize { s.testSize = testSize }
        if let vlmSteps { s.vlmSteps = vlmSteps }
        if let vlmLR { s.vlmLearningRate = vlmLR }
        try s.validate()
        return s
    }

    struct Output: Encodable {
        var data: String
        var nTest: Int
        var preset: String
        var settings: TrialSettings
        var heldOutClasses: [String]
        var results: [TrialSummary.Result]
        var paired: [TrialSummary.Paired]
        var trials: Int
        var wallSeconds: Double
        var threads: Int
        var interrupted: Bool
        var machine: MachineProbe.Figures?
        var vlmZeroShot: [String: Double]?
        var cpuSeconds: Double
        enum CodingKeys: String, CodingKey {
            case data, preset, settings, results, paired, trials, threads, interrupted, machine
            case vlmZeroShot = "vlm_zero_shot", cpuSeconds = "cpu_s"
            case nTest = "n_test", heldOutClasses = "held_out_classes", wallSeconds = "wall_s"
        }
    }

    func run() throws {
        let pool = Runtime.pool(threads: threads)
        defer { Runtime.shutdown() }
        let interrupted = InterruptFlag.install()
        let s = try settings()
        let started = Date()
        let vision = try VisionData(directory: URL(fileURLWithPath: data))
        let models = try TrialModels.load(workspace: URL(fileURLWithPath: workspace), methods: s.methods)
        let runner = try TrialRunner(data: vision, settings: s, models: models)
        stderrLine("[vision-trial] \(s.preset): \(s.methods.map(\.rawValue).joined(separator: ",")) × shots \(s.shots.map(String.init).joined(separator: ",")) × \(s.seeds) seeds on \(runner.testIndices.count) test images")
        var zeroShot: [String: Double]?
        if let z = try runner.vlmZeroShot() {
            zeroShot = ["accuracy": z.all, "accuracy_seen": z.seen, "accuracy_unseen": z.unseen].filter { $0.value.isFinite }
            stderrLine(String(format: "[vision-trial] VLM before any fine-tune (caption alignment only): %.3f", z.all))
        }
        var outcomes: [TrialOutcome] = []
        var stopped = false
        do {
            try runner.run(onProgress: { p in
                guard let o = p.last else { return }
                let acc = o.accuracy(labels: runner.testLabels)
                stderrLine(String(format: "[vision-trial] %d/%d  %@ %d-shot seed %d: %.3f (%.1f s)  elapsed %@  ETA %@", p.done, p.total,
                                  o.method.rawValue, o.shots, o.seed, acc, o.seconds, clock(p.elapsed), clock(p.eta)))
            }, shouldStop: { interrupted.isSet }, done: &outcomes)
        } catch is TrialCancelled {
            stopped = true
            stderrLine("[vision-trial] interrupted: \(outcomes.count) of \(runner.totalTrials) trials finished; reporting those")
        }
        let summary = try TrialSummary(outcomes: outcomes, labels: runner.testLabels, heldOut: runner.heldOut, methods: s.methods, shots: s.shots)
        let out = Output(data: vision.directory.path, nTest: runner.testIndices.count, preset: s.preset, settings: s,
                         heldOutClasses: runner.heldOut.sorted().map { vision.classNames[$0] }, results: summary.results,
                         paired: summary.paired, trials: outcomes.count, wallSeconds: Date().timeIntervalSince(started),
                         threads: threads, interrupted: stopped, machine: machine ? MachineProbe.measure(pool: pool) : nil,
                         vlmZeroShot: zeroShot, cpuSeconds: VisionTrialCommand.cpuSeconds())
        if json { try printJSON(out) } else { print(table(out)) }
        if stopped { throw ExitCode(130) }
    }

    /// User + system CPU time of this process so far: on a shared machine the wall time alone overstates the cost.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }

    func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }

    func table(_ o: Output) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%5.1f", 100 * $0) } ?? "    -" }
        func ci(_ c: [Double]?) -> String { c.map { String(format: "[%4.1f, %4.1f]", 100 * $0[0], 100 * $0[1]) } ?? "" }
        var lines = ["\(o.data): \(o.nTest) test images, held out of captions: \(o.heldOutClasses.joined(separator: ", "))",
                     "method    shots  seeds  accuracy %  95% CI         seen   unseen"]
        for r in o.results {
            lines.append("\(r.method.padding(toLength: 9, withPad: " ", startingAt: 0)) \(String(format: "%5d  %5d", r.shots, r.nSeeds))  \(pct(r.accuracy))       \(ci(r.ci95).padding(toLength: 14, withPad: " ", startingAt: 0)) \(pct(r.accuracySeen))  \(pct(r.accuracyUnseen))")
        }
        lines.append("paired (same support sets)  diff %  95% CI")
        for p in o.paired {
            lines.append("\(p.a) − \(p.b)  \(String(format: "%2d", p.shots))-shot  \(String(format: "%+6.1f", 100 * p.diff))  \(ci(p.ci95))")
        }
        return lines.joined(separator: "\n")
    }
}
