import Datasets
import Engine
import Foundation
import Store
import Testing
import Tokenizer
@testable import Runs

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The RL loop on the tiny-chat fixture model: rollouts, rewards from an environment plus a reward model, KL in the
/// loss, the metrics users read, the reward model fed by ratings between steps, checkpoints and resume.
@Suite struct RLRunTests {
    struct Scratch {
        let dir: URL
        let ws: Workspace
        func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        func remove() { try? ws.close(); try? FileManager.default.removeItem(at: dir) }
    }

    func scratch() throws -> Scratch {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-rl-\(UUID().uuidString.prefix(8))")
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("models"), withIntermediateDirectories: true)
        try fm.copyItem(at: repoRoot.appendingPathComponent("Tests/Fixtures/models/tiny-chat"), to: dir.appendingPathComponent("models/base"))
        let s = Scratch(dir: dir, ws: try Workspace.open(dir, mode: .write))
        try s.write("qa.jsonl", (0..<20).map { #"{"question":"What is \#($0)?","answer":"\#($0)"}"# }.joined(separator: "\n"))
        try s.write("prefs.jsonl", (0..<10).map { #"{"prompt":"Say \#($0).","chosen":"\#($0) thanks","rejected":"no"}"# }.joined(separator: "\n"))
        return s
    }

    func config(steps: Int, extra: String = "") -> String {
        """
        name = "rl-test"
        kind = "rl"
        seed = 4
        threads = 1
        [model]
        base = "models/base"
        [lora]
        rank = 4
        alpha = 8.0
        [optimizer]
        lr = 1e-3
        [training]
        steps = \(steps)
        [eval]
        every = 2
        [checkpoint]
        every = 2
        [rl]
        env = "qa"
        dataset = "qa.jsonl"
        group_size = 3
        prompts_per_step = 2
        max_tokens = 6
        eval_prompts = 4
        eval_k = 2
        kl_coef = 0.1
        kl_in = "loss"
        [rl.reward_model]
        rank = 2
        alpha = 4.0
        lr = 1e-3
        pairs = "prefs.jsonl"
        initial_steps = 2
        steps_per_update = 2
        batch_pairs = 4
        hold_out_every = 3
        \(extra)
        """
    }

    @Test func stepsLogTheMetricsAndTheRewardModelLearnsFromRatingsBetweenSteps() throws {
        let s = try scratch()
        defer { s.remove() }
        let run = try Runs.prepare(workspace: s.ws, source: .configText(config(steps: 4), source: "test"), log: { _ in })
        try run.step()
        let rl = try #require(run as? RLRun)
        try rl.metrics.flush()
        let id = run.record.id
        let names = Set(try s.ws.metricNames(run: id))
        for n in ["reward/mean", "reward/std", "frac_all_good", "frac_all_bad", "frac_mixed", "kl", "kl_sample_train", "entropy",
                  "clip_frac", "completion/mean_length", "train/tokens_per_s", "router/load_cv", "router/entropy",
                  "router/drift_kl", "router/drift_topk", "router/load/0/0", "reward_model/labels", "reward_model/pair_accuracy",
                  "reward_model/score_mean"] {
            #expect(names.contains(n), "missing metric \(n)")
        }
        // On-policy, the sampler's logprobs are the trainer's: kl_sample_train is ~0.
        let gap = try s.ws.metrics(run: id, name: "kl_sample_train").last!.value
        #expect(abs(gap) < 1e-5)
        let load = try (0..<4).map { try s.ws.metrics(run: id, name: "router/load/0/\($0)").last!.value }
        #expect(abs(load.reduce(0, +) - 1) < 1e-9)
        // Nothing rated yet; then a thumbs up and a thumbs down on two samples of one prompt: 2 labels, one pair,
        // and reward-model steps between the policy steps.
        #expect(try s.ws.metrics(run: id, name: "reward_model/labels").last!.value == 0)
        let stepsBefore = try s.ws.metrics(run: id, name: "reward_model/steps").last!.value
        let samples = try s.ws.addSamples([
            SampleRecord(runID: id, step: 1, kind: "probe", prompt: "What is 3?", completion: "3", settingsJSON: #"{"chat":true}"#),
            SampleRecord(runID: id, step: 1, kind: "probe", prompt: "What is 3?", completion: "seven", settingsJSON: #"{"chat":true}"#)])
        try s.ws.setFeedback(sampleID: samples[0].id!, rating: 1)
        try s.ws.setFeedback(sampleID: samples[1].id!, rating: -1)
        try run.step()
        try rl.metrics.flush()
        #expect(try s.ws.metrics(run: id, name: "reward_model/labels").last!.value == 2)
        #expect(try s.ws.metrics(run: id, name: "reward_model/steps").last!.value == stepsBefore + 2)
        // Eval at step 2: accuracy with its interval, pass@k, stored as eval results.
        let evals = try s.ws.evalResults(run: id)
        #expect(Set(evals.map(\.name)) == ["qa/accuracy", "qa/pass@1", "qa/pass@2"])
        #expect(evals.allSatisfy { $0.n == 4 && $0.ciLow! <= $0.value && $0.value <= $0.ciHigh! })
        // The checkpoint carries the reward model.
        let ckpt = try #require(try s.ws.latestCheckpoint(run: id))
        #expect(FileManager.default.fileExists(atPath: s.ws.resolve(ckpt.path).appendingPathComponent("reward_model/reward_model.safetensors").path))
        try run.stop(.paused)
    }

    @Test func resumeContinuesWhereTheCheckpointLeftOffAndEqualsAStraightRun() throws {
        let a = try scratch(), b = try scratch()
        defer { a.remove(); b.remove() }
        let straight = try Runs.prepare(workspace: a.ws, source: .configText(config(steps: 4), source: "test"), log: { _ in })
        while !straight.isFinished { try straight.step() }
        let first = try Runs.prepare(workspace: b.ws, source: .configText(config(steps: 4), source: "test"), log: { _ in })
        try first.step(); try first.step()
        try first.stop(.paused)
        let resumed = try Runs.prepare(workspace: b.ws, source: .resume(runID: first.record.id), log: { _ in })
        #expect(resumed.startStep == 2)
        while !resumed.isFinished { try resumed.step() }
        for name in ["train/loss", "reward/mean", "reward_model/pair_accuracy"] {
            let x = try a.ws.metrics(run: straight.record.id, name: name).map(\.value)
            let y = try b.ws.metrics(run: first.record.id, name: name).map(\.value)
            #expect(x == y, "\(name): \(x) vs \(y)")
        }
    }

    @Test func klInTheRewardAndInTheLossAreBothAccepted() throws {
        let s = try scratch()
        defer { s.remove() }
        let text = config(steps: 1).replacingOccurrences(of: "kl_in = \"loss\"", with: "kl_in = \"reward\"")
        let run = try Runs.prepare(workspace: s.ws, source: .configText(text, source: "test"), log: { _ in })
        try run.step()
        try (run as! RLRun).metrics.flush()
        #expect(try s.ws.metrics(run: run.record.id, name: "kl").last!.value >= 0)
    }

    @Test func badDatasetsStopTheRunBeforeItIsCreated() throws {
        let s = try scratch()
        defer { s.remove() }
        try s.write("prefs.jsonl", #"{"prompt":"x","chosen":"a","rejected":"a"}"#)
        #expect(throws: DatasetError(source: "prefs.jsonl", line: 1, "chosen and rejected are the same text: nothing to learn")) {
            try Runs.prepare(workspace: s.ws, source: .configText(config(steps: 1), source: "test"), log: { _ in })
        }
        #expect(try s.ws.runs().isEmpty)
    }
}
