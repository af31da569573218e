import Foundation
import Store
import Testing

/// `lathe train` end to end on a scratch workspace with the tiny-chat model: a run completes, a bad config or data
/// file stops it before any compute, and a SIGKILLed run reopens, shows as interrupted and resumes bit-exactly.
struct TrainCLITests {
    static let dataset = (0..<24).map { i in
        #"{"messages":[{"role":"user","content":"What is \#(i)+\#(i)?"},{"role":"assistant","content":"Ahoy! \#(2 * i) — Lathe"}]}"#
    }.joined(separator: "\n") + "\n"

    func makeWorkspace(steps: Int = 8, checkpointEvery: Int = 4, extra: String = "", lora: String = "rank = 4\nalpha = 8.0") throws -> (URL, URL) {
        let ws = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-train-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: ws.appendingPathComponent("models"), withIntermediateDirectories: true)
        try fm.createDirectory(at: ws.appendingPathComponent("datasets"), withIntermediateDirectories: true)
        try fm.copyItem(at: LatheBinary.fixtures.appendingPathComponent("models/tiny-chat"),
                        to: ws.appendingPathComponent("models/base"))
        try Data(TrainCLITests.dataset.utf8).write(to: ws.appendingPathComponent("datasets/train.jsonl"))
        let config = """
        name = "cli-test"
        kind = "sft"
        seed = 3
        threads = 1
        [model]
        base = "models/base"
        [data]
        train = "datasets/train.jsonl"
        eval_fraction = 0.2
        max_length = 64
        [lora]
        \(lora)
        [optimizer]
        lr = 5e-3
        [training]
        steps = \(steps)
        batch_size = 4
        [eval]
        every = 4
        prompts = ["What is 2+2?"]
        max_tokens = 8
        [checkpoint]
        every = \(checkpointEvery)
        \(extra)
        """
        let url = ws.appendingPathComponent("run.toml")
        try Data(config.utf8).write(to: url)
        return (ws, url)
    }

    func losses(_ ws: URL, run: String) throws -> [Double] {
        let w = try Workspace.open(ws, mode: .readOnly)
        defer { try? w.close() }
        return try w.metrics(run: run, name: "train/loss").map(\.value)
    }

    @Test func trainRunsAndRecordsEverything() throws {
        let (ws, config) = try makeWorkspace()
        defer { try? FileManager.default.removeItem(at: ws) }
        let r = try LatheBinary.run(["train", "--workspace", ws.path, "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        let w = try Workspace.open(ws, mode: .readOnly)
        defer { try? w.close() }
        let run = try #require(try w.runs().first)
        #expect(run.status == .completed && run.lastStep == 8)
        #expect(run.gitCommit != nil && run.dataHash != nil && run.sgemmGflops != nil && run.threads == 1)
        #expect(try w.metrics(run: run.id, name: "train/loss").count == 8)
        #expect(try w.metrics(run: run.id, name: "eval/nll").count == 2)
        #expect(try w.samples(run: run.id).count == 2)
        #expect(try w.checkpoints(run: run.id).map(\.name) == ["step-000004", "step-000008"])
        let ckpt = ws.appendingPathComponent("runs/\(run.id)/checkpoints/step-000008")
        for f in ["adapter_config.json", "adapter_model.safetensors", "optimizer.safetensors", "state.json"] {
            #expect(FileManager.default.fileExists(atPath: ckpt.appendingPathComponent(f).path), "\(f)")
        }
        // export → PEFT dir; merge → full checkpoint: base+adapter and the merged model give the same logprobs.
        let adapter = ws.appendingPathComponent("exported"), merged = ws.appendingPathComponent("merged")
        let base = ws.appendingPathComponent("models/base").path
        var r2 = try LatheBinary.run(["export", "--workspace", ws.path, "--run", run.id, "--out", adapter.path])
        #expect(r2.status == 0, "\(r2.stderr)")
        r2 = try LatheBinary.run(["merge", "--model", base, "--adapter", adapter.path, "--out", merged.path])
        #expect(r2.status == 0, "\(r2.stderr)")
        let ids = "5,17,200,3,99,41,7"
        let withAdapter = try LatheBinary.json(try LatheBinary.run(["logprobs", "--model", base, "--adapter", adapter.path, "--ids", ids, "--json"]))
        let fromMerged = try LatheBinary.json(try LatheBinary.run(["logprobs", "--model", merged.path, "--ids", ids, "--json"]))
        let a = (withAdapter["sequences"] as! [[String: Any]])[0]["logprobs"] as! [Double]
        let b = (fromMerged["sequences"] as! [[String: Any]])[0]["logprobs"] as! [Double]
        let plain = try LatheBinary.json(try LatheBinary.run(["logprobs", "--model", base, "--ids", ids, "--json"]))
        let c = (plain["sequences"] as! [[String: Any]])[0]["logprobs"] as! [Double]
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(a, c).contains { abs($0 - $1) > 1e-4 }, "the trained adapter must change something")
    }

    @Test func badConfigOrDataStopsBeforeCompute() throws {
        let (ws, config) = try makeWorkspace(lora: "rank = 0")
        defer { try? FileManager.default.removeItem(at: ws) }
        var r = try LatheBinary.run(["train", "--workspace", ws.path, "--config", config.path])
        #expect(r.status != 0)
        #expect(r.stderr == "lathe: \(config.path): lora.rank: must be >= 1 (got 0)\n")
        let (ws2, config2) = try makeWorkspace()
        defer { try? FileManager.default.removeItem(at: ws2) }
        try Data((TrainCLITests.dataset + "{\"messages\": [{\"role\": \"user\"}]}\n").utf8)
            .write(to: ws2.appendingPathComponent("datasets/train.jsonl"))
        r = try LatheBinary.run(["train", "--workspace", ws2.path, "--config", config2.path])
        #expect(r.status != 0)
        #expect(r.stderr == "lathe: \(ws2.path)/datasets/train.jsonl:25: messages[0]: missing \"content\"\n")
        #expect(r.stderr.split(separator: "\n").count == 1)
        let w = try Workspace.open(ws2, mode: .readOnly)
        #expect(try w.runs().isEmpty, "no run is created for a bad data file")
        try w.close()
    }

    /// SIGKILL after the step-4 checkpoint: the workspace reopens, the run is interrupted, `--resume` finishes it and
    /// its loss curve equals an uninterrupted run's, bit for bit.
    @Test func killedRunResumesBitExactly() throws {
        let (wsA, configA) = try makeWorkspace(steps: 12, checkpointEvery: 4)
        defer { try? FileManager.default.removeItem(at: wsA) }
        let a = try LatheBinary.run(["train", "--workspace", wsA.path, "--config", configA.path])
        #expect(a.status == 0, "\(a.stderr)")
        let runA = try Workspace.open(wsA, mode: .readOnly).runs().first!.id
        let straight = try losses(wsA, run: runA)

        let (wsB, configB) = try makeWorkspace(steps: 12, checkpointEvery: 4)
        defer { try? FileManager.default.removeItem(at: wsB) }
        let p = Process()
        p.executableURL = LatheBinary.url
        p.arguments = ["train", "--workspace", wsB.path, "--config", configB.path]
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait for the first checkpoint to be recorded, then kill -9.
        let deadline = Date().addingTimeInterval(120)
        var runB: String?
        while Date() < deadline {
            if let w = try? Workspace.open(wsB, mode: .readOnly) {
                if let r = try? w.runs().first, (try? w.latestCheckpoint(run: r.id)) != nil { runB = r.id }
                try? w.close()
            }
            if runB != nil { break }
            usleep(20_000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let id = try #require(runB)
        let w = try Workspace.open(wsB, mode: .write)   // reopens; the dead owner's run becomes interrupted
        #expect(try w.run(id)?.status == .interrupted)
        try w.close()
        let r = try LatheBinary.run(["train", "--workspace", wsB.path, "--resume", id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try losses(wsB, run: id) == straight)
    }
}
