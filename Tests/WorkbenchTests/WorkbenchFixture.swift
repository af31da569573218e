import Foundation
import Store
import Terminal
import Testing
@testable import Workbench

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let themesDirectory = repoRoot.appendingPathComponent("themes")
let goldensDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

let exampleConfig = """
    # A preset for the goldens.
    name = "ahoy-format"
    kind = "sft"
    seed = 7

    [model]
    base = "models/base"

    [data]
    train = "datasets/train.jsonl"
    max_length = 256

    [lora]
    rank = 16
    alpha = 32.0

    [optimizer]
    lr = 2e-3
    schedule = "warmup_cosine"
    warmup_steps = 10

    [training]
    steps = 150
    batch_size = 8

    [eval]
    every = 25

    [checkpoint]
    every = 50
    """

/// A workspace with two finished runs (curves, checkpoints, rated samples) and one preset, built the same way every
/// time so screens render identically.
final class WorkbenchFixture {
    let root: URL
    let directory: URL
    let workspace: Workspace

    init(_ label: String = "golden") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-wb-\(UUID().uuidString.prefix(8))")
        directory = root.appendingPathComponent(label)
        let fm = FileManager.default
        for sub in ["configs", "models/base", "datasets"] {
            try fm.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try Data(exampleConfig.utf8).write(to: directory.appendingPathComponent("configs/example.toml"))
        try Data("{}\n".utf8).write(to: directory.appendingPathComponent("datasets/train.jsonl"))
        workspace = try Workspace.open(directory, mode: .write)
        try populate()
    }

    private func populate() throws {
        let config = exampleConfig
        for (i, id) in ["sft-20261128-0900-aaaa", "sft-20261128-1000-bbbb"].enumerated() {
            let run = RunRecord(id: id, name: "ahoy-format", kind: "sft", status: i == 0 ? .completed : .paused,
                                configTOML: config, configHash: SHA256.hexDigest(config), seed: 7,
                                lastStep: i == 0 ? 150 : 100, createdAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(i) * 3600))
            try workspace.createRun(run)
            var points: [MetricPoint] = []
            let last = i == 0 ? 150 : 100
            for step in 1...last {
                let s = Double(step)
                let wiggle = sin(s * 0.7 + Double(i)) * 0.08
                points.append(MetricPoint(runID: id, name: "train/loss", step: step,
                                          value: 0.6 + (3.2 - Double(i) * 0.4) * exp(-s / 30) + wiggle,
                                          wallTime: 1_800_000_000 + Double(i) * 3600 + s * 0.5))
                points.append(MetricPoint(runID: id, name: "train/lr", step: step, value: 2e-3 * min(1, s / 10),
                                          wallTime: 1_800_000_000 + s * 0.5))
            }
            try workspace.appendMetrics(points)
            for step in stride(from: 50, through: last, by: 50) {
                try workspace.saveCheckpoint(run: id, name: CheckpointRecord.scheduledName(step: step), step: step) { dir in
                    try Data("{}".utf8).write(to: dir.appendingPathComponent("state.json"))
                }
            }
            let tokens = #"[{"text":"Ahoy!","logprob":-0.05},{"text":" 42","logprob":-2.3},{"text":" — Lathe","logprob":-0.4}]"#
            let settings = #"{"adapter":true,"chat":true,"max_tokens":48,"sample_index":0,"seed":1,"temperature":0.8,"top_p":0.95}"#
            let a = try workspace.addSample(SampleRecord(runID: id, step: last, kind: "probe", prompt: "What is 12 plus 30?",
                                                         completion: "Ahoy! 42 — Lathe", settingsJSON: settings, tokensJSON: tokens))
            try workspace.addSample(SampleRecord(runID: id, step: last, kind: "probe-base", prompt: "What is 12 plus 30?",
                                                 completion: "It is 226.", settingsJSON: settings.replacingOccurrences(of: "\"adapter\":true", with: "\"adapter\":false"),
                                                 tokensJSON: #"[{"text":"It is","logprob":-1.0},{"text":" 226.","logprob":-3.0}]"#))
            if i == 0 { try workspace.setFeedback(sampleID: a.id!, rating: 1) }
        }
    }

    /// A workbench on this workspace with a text driver (no engine: goldens show the store's view).
    func workbench(width: Int, height: Int, unicode: Bool = true) -> (Workbench, TextDriver) {
        let driver = TextDriver(width: width, height: height, capabilities: Capabilities(colors: .truecolor, unicode: unicode))
        let app = Workbench(driver: driver, workspace: workspace, host: nil, themeDirectories: [themesDirectory])
        app.residentMemory = { 123 }
        return (app, driver)
    }

    func remove() {
        try? workspace.close()
        try? FileManager.default.removeItem(at: root)
    }
}

/// Compares `text` with Goldens/NAME.txt. A missing golden (or LATHE_UPDATE_GOLDENS=1) writes it and fails, so
/// a new golden is always looked at before it is trusted.
func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let url = goldensDirectory.appendingPathComponent(name + ".txt")
    let update = ProcessInfo.processInfo.environment["LATHE_UPDATE_GOLDENS"] == "1"
    guard !update, let golden = try? String(contentsOf: url, encoding: .utf8) else {
        try? FileManager.default.createDirectory(at: goldensDirectory, withIntermediateDirectories: true)
        try? Data((text + "\n").utf8).write(to: url)
        Issue.record("golden \(name) written to \(url.path): check it by eye and re-run", sourceLocation: sourceLocation)
        return
    }
    #expect(text + "\n" == golden, "screen differs from Goldens/\(name).txt", sourceLocation: sourceLocation)
}
