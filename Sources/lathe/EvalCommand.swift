import ArgumentParser
import Datasets
import Engine
import Foundation
import Runs
import Stats
import Store
import Tensor

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval",
        abstract: "Accuracy of a run's adapter (or a model) on an environment's held-out prompts, with a Wilson 95 % interval and pass@k.",
        discussion: """
        Greedy accuracy on N held-out prompts (never used in training); with --k K > 1 also K samples per prompt at \
        temperature 1 and the unbiased pass@1 and pass@K. A run's result is stored in the workspace's eval results.
        """)

    @Option(help: "Workspace directory.") var workspace = "workspaces/default"
    @Option(name: .customLong("run"), help: "Evaluate this run's adapter.") var runID: String?
    @Option(help: "With --run: this checkpoint step (default: the latest).") var step: Int?
    @Option(help: "Or a base model folder (with --adapter for a PEFT adapter).") var model: String?
    @Option(help: "PEFT adapter folder (with --model).") var adapter: String?
    @Option(help: "Environment: arithmetic, format or qa (default: the run's, else arithmetic).") var env: String?
    @Option(help: "Operand digits (arithmetic; default: the run's, else 2).") var digits: Int?
    @Option(help: "Dataset file of qa / format (default: the run's).") var dataset: String?
    @Option(help: "Held-out prompts.") var n = 200
    @Option(help: "Samples per prompt for pass@k (1 = greedy only).") var k = 1
    @Option(help: "Max new tokens.") var maxTokens = 48
    @Option(help: "Seed of the pass@k samples.") var seed: UInt64 = 0
    @Flag(help: "Also evaluate the base model (adapter off) on the same prompts and report the paired difference.")
    var baseline = false
    @Option(help: "Engine threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if (runID == nil) == (model == nil) { throw ValidationError("give exactly one of --run or --model") }
        if n < 1 || k < 1 { throw ValidationError("--n and --k must be at least 1") }
    }

    func run() throws {
        let pool = Runtime.pool(threads: threads)
        var ws: Workspace?
        var baseDir: URL, adapterDir: URL?
        var checkpointStep: Int?
        var runConfig: RunConfig?
        if let runID {
            let w = try wrap { try Workspace.open(URL(fileURLWithPath: workspace), mode: .writeIfFree) }
            ws = w
            guard let record = try w.run(runID) else { throw LatheError("--run \(runID): not in \(workspace)") }
            let config = try wrap { try RunConfig.parse(record.configTOML, source: "runs/\(runID)/config.toml") }
            runConfig = config
            baseDir = w.resolve(config.model.base ?? "")
            let ckpts = try w.checkpoints(run: runID, kind: .state)
            guard let ckpt = step.map({ s in ckpts.first { $0.step == s } }) ?? ckpts.last else {
                throw LatheError("--run \(runID): no checkpoint\(step.map { " at step \($0)" } ?? "") (have: \(ckpts.map(\.name).joined(separator: ", ")))")
            }
            adapterDir = w.resolve(ckpt.path)
            checkpointStep = ckpt.step
        } else {
            baseDir = URL(fileURLWithPath: model!)
            adapterDir = adapter.map { URL(fileURLWithPath: $0) }
        }
        defer { try? ws?.close() }
        let session = try Session(baseDirectory: baseDir, pool: pool)
        guard let tokenizer = session.tokenizer else { throw LatheError("\(baseDir.path): no tokenizer.json") }
        let template = try wrap { try ChatTemplate(tokenizer: tokenizer) }
        let trained = try adapterDir.map { try session.importAdapter("eval", from: $0) }
        var rl = runConfig?.rl ?? RunConfig.RL()
        if let env { rl.env = env }
        if let digits { rl.digits = digits }
        if let dataset { rl.dataset = dataset }
        let datasetURL = rl.dataset.map { path in ws.map { $0.resolve(path) } ?? URL(fileURLWithPath: path) }
        let environment = try wrap { try Environments.make(rl, dataset: datasetURL, seed: UInt64(runConfig?.seed ?? 0)) }
        guard environment.hasVerifiableReward else {
            throw ValidationError("--env \(rl.env) has no verifiable reward to measure accuracy with")
        }
        let stops = SFTRun.stopTokens(session: session, tokenizer: tokenizer)
        let harness = EvalHarness(environment: environment, template: template, tokenizer: tokenizer, stopIDs: stops, maxTokens: maxTokens)
        let generate: EvalHarness.Generate = { ids, params, count in
            try (trained?.sample(prompt: ids, params: params, count: count) ?? session.sample(prompt: ids, params: params, count: count)).map(\.ids)
        }
        let t0 = Date()
        let greedy = try harness.greedyAccuracy(count: n, generate: generate)
        var passAt: [String: Double] = [:], passCI: [String: [Double]] = [:]
        if k > 1 {
            for (kk, v) in try harness.passAtK(count: n, k: k, seed: seed, generate: generate) {
                passAt["\(kk)"] = v.value
                passCI["\(kk)"] = [v.interval.low, v.interval.high]
            }
        }
        var base: Output.Baseline?
        if baseline {
            guard trained != nil else { throw ValidationError("--baseline compares an adapter with its base: give --run or --adapter") }
            let b = try harness.greedyAccuracy(count: n) { ids, params, count in
                try session.sample(prompt: ids, params: params, count: count).map(\.ids)
            }
            let d = try pairedDifferenceCI(greedy.correct.map { $0 ? 1 : 0 }, b.correct.map { $0 ? 1 : 0 }, seed: seed)
            base = Output.Baseline(accuracy: b.accuracy, ci95: [b.interval.low, b.interval.high], difference: d.meanDifference,
                                   difference_ci95: [d.interval.low, d.interval.high])
        }
        let seconds = Date().timeIntervalSince(t0)
        if let ws, let runID, !ws.isReadOnly {
            try ws.addEvalResult(EvalResult(runID: runID, step: checkpointStep ?? 0, name: "\(rl.env)/accuracy", value: greedy.accuracy,
                                            ciLow: greedy.interval.low, ciHigh: greedy.interval.high, n: greedy.n))
        }
        let out = Output(env: rl.env, n: greedy.n, accuracy: greedy.accuracy, ci95: [greedy.interval.low, greedy.interval.high],
                         pass_at_k: passAt.isEmpty ? nil : passAt, pass_at_k_ci95: passCI.isEmpty ? nil : passCI, run: runID, step: checkpointStep,
                         model: runID == nil ? baseDir.path : nil, adapter: runID == nil ? adapter : nil, baseline: base,
                         seconds: seconds)
        if json { try printJSON(out) } else {
            print(String(format: "%@: accuracy %.3f [%.3f, %.3f] on %d held-out prompts", rl.env, greedy.accuracy, greedy.interval.low,
                         greedy.interval.high, greedy.n) + passAt.keys.sorted().map { String(format: ", pass@%@ %.3f", $0, passAt[$0]!) }.joined()
                  + (base.map { String(format: "; base %.3f [%.3f, %.3f], difference %+.3f [%+.3f, %+.3f]", $0.accuracy, $0.ci95[0], $0.ci95[1],
                                       $0.difference, $0.difference_ci95[0], $0.difference_ci95[1]) } ?? ""))
        }
    }

    struct Output: Encodable {
        var env: String, n: Int, accuracy: Double, ci95: [Double], pass_at_k: [String: Double]?, pass_at_k_ci95: [String: [Double]]?
        var run: String?, step: Int?, model: String?, adapter: String?
        /// With --baseline: the base model on the same prompts, and adapter − base per prompt (paired bootstrap 95 %).
        var baseline: Baseline?
        var seconds: Double
        struct Baseline: Encodable { var accuracy: Double, ci95: [Double], difference: Double, difference_ci95: [Double] }
    }
}
