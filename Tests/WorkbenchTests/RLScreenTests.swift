import Foundation
import Store
import Terminal
import Testing
@testable import Workbench

let exampleRLConfig = """
    name = "arithmetic-rl"
    kind = "rl"
    seed = 1
    [model]
    base = "models/base"
    [training]
    steps = 40
    [rl]
    env = "arithmetic"
    group_size = 8
    kl_coef = 0.05
    [rl.reward_model]
    weight = 0.5
    """

/// The RL side of the workbench: an RL run's config in the form, its expert-load heatmap in Curves, and the
/// reward model's label counts in Sampling.
@Suite(.serialized) struct RLScreenTests {
    /// Adds a newest RL run (so it is selected first): reward and KL curves, expert load for 2 layers × 4 experts,
    /// reward-model metrics, and two rated samples.
    func addRLRun(_ fixture: WorkbenchFixture) throws {
        let ws = fixture.workspace
        let id = "rl-20261128-1100-cccc"
        try ws.createRun(RunRecord(id: id, name: "arithmetic-rl", kind: "rl", status: .paused, configTOML: exampleRLConfig,
                                   configHash: SHA256.hexDigest(exampleRLConfig), seed: 1, lastStep: 20,
                                   createdAt: Date(timeIntervalSince1970: 1_800_010_000)))
        var points: [MetricPoint] = []
        for step in 1...20 {
            let s = Double(step), wall = 1_800_010_000 + s * 2
            points.append(MetricPoint(runID: id, name: "reward/mean", step: step, value: 0.05 + 0.01 * s, wallTime: wall))
            points.append(MetricPoint(runID: id, name: "kl", step: step, value: 0.001 * s, wallTime: wall))
            for l in 0..<2 {
                let tilt: Double = 0.15 * Double(l + 1) * s / 20
                let shares: [Double] = (0..<4).map { (e: Int) -> Double in 1 + tilt * Double(e - 1) }
                let total = shares.reduce(0, +)
                for e in 0..<4 {
                    points.append(MetricPoint(runID: id, name: "router/load/\(l)/\(e)", step: step, value: shares[e] / total, wallTime: wall))
                }
            }
        }
        for (name, value) in [("reward_model/labels", 1.0), ("reward_model/pair_accuracy", 0.75),
                              ("reward_model/held_out_pairs", 4), ("reward_model/steps", 12)] {
            points.append(MetricPoint(runID: id, name: name, step: 20, value: value, wallTime: 1_800_010_040))
        }
        try ws.appendMetrics(points)
        let settings = #"{"adapter":true,"chat":true,"max_tokens":48,"sample_index":0,"seed":1,"temperature":0.8,"top_p":0.95}"#
        let a = try ws.addSample(SampleRecord(runID: id, step: 20, kind: "probe", prompt: "What is 37+45?", completion: "It is 82.",
                                              settingsJSON: settings))
        let b = try ws.addSample(SampleRecord(runID: id, step: 20, kind: "probe", prompt: "What is 37+45?", completion: "It is 72.",
                                              settingsJSON: settings.replacingOccurrences(of: "\"sample_index\":0", with: "\"sample_index\":1")))
        try ws.setFeedback(sampleID: a.id!, rating: 1)
        try ws.setFeedback(sampleID: b.id!, rating: -1)
    }

    @Test func rlRunScreens() throws {
        let fixture = try WorkbenchFixture()
        defer { fixture.remove() }
        try addRLRun(fixture)
        for (w, h) in ScreenGoldenTests.sizes {
            let (app, driver) = fixture.workbench(width: w, height: h)
            app.select(run: "rl-20261128-1100-cccc")
            // Config: the run's config in the form (Enter on the selected run), RL fields in place of SFT's data.
            driver.send(.char("1"), .char("h"), .char("h"), .char("k"), .char("k"), .enter)
            for _ in 0..<6 { app.tick(timeoutMs: 0) }
            expectGolden(driver.text, "rl-config-\(w)x\(h)")
            // Curves: reward/mean overlaid, then the expert-load heatmap at the cursor (the last step).
            driver.send(.char("2"), .char(" "), .char("E"))
            for _ in 0..<3 { app.tick(timeoutMs: 0) }
            expectGolden(driver.text, "rl-expert-load-\(w)x\(h)")
            // Sampling: the reward model's label counts (3 ratings in the workspace, 1 used: 2 pending).
            driver.send(.char("E"), .char("3"))
            for _ in 0..<2 { app.tick(timeoutMs: 0) }
            expectGolden(driver.text, "rl-sampling-\(w)x\(h)")
        }
    }
}
