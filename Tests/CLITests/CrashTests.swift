import Foundation
import Store
import Testing

/// A training run killed (SIGKILL) at 20 seeded moments — at optimizer steps, around metric commits, while a
/// checkpoint's files are written, after its folder is renamed into place and after it is recorded — and resumed
/// each time: the workspace always opens, the killed run shows as interrupted, its curve has no gap up to its last
/// checkpoint, it resumes from its last complete checkpoint, and the final loss curve equals an uninterrupted run's
/// bit for bit (one thread).
struct CrashTests {
    static let sites = ["optimizer-step", "metrics-commit", "metrics-committed", "folder-filled", "file-written",
                        "checkpoint-renamed", "checkpoint-recorded"]

    @Test func twentyKillsAndResumesGiveTheUninterruptedCurve() throws {
        let t = TrainCLITests()
        let (wsA, configA) = try t.makeWorkspace(steps: 80, checkpointEvery: 2)
        defer { try? FileManager.default.removeItem(at: wsA) }
        let a = try LatheBinary.run(["train", "--workspace", wsA.path, "--config", configA.path])
        try #require(a.status == 0, "\(a.stderr)")
        let runA = try Workspace.open(wsA, mode: .readOnly).runs().first!.id
        let straight = try t.losses(wsA, run: runA)

        let (ws, config) = try t.makeWorkspace(steps: 80, checkpointEvery: 2)
        defer { try? FileManager.default.removeItem(at: ws) }
        var rng = SplitMixTest(seed: 20)
        var kills: [String] = [], run: String?
        var attempts = 0
        while attempts < 60 {
            attempts += 1
            let site = Self.sites[rng.below(Self.sites.count)]
            let n = 1 + rng.below(site == "optimizer-step" ? 4 : 3) + (site == "optimizer-step" ? 2 : 0)
            let spec = kills.count < 20 ? "\(site):\(n)" : ""
            let args = run.map { ["train", "--workspace", ws.path, "--resume", $0] } ?? ["train", "--workspace", ws.path, "--config", config.path]
            let r = try LatheBinary.run(args, environment: spec.isEmpty ? [:] : ["LATHE_CRASH_AT": spec])
            let w = try Workspace.open(ws, mode: .write)   // always opens; a dead owner's run becomes interrupted
            let record = try w.runs().first
            run = run ?? record?.id
            if r.status == 0 {
                #expect(record?.status == .completed)
                try w.close()
                break
            }
            try #require(r.status == 128 + SIGKILL, "attempt \(attempts) (\(spec)): status \(r.status), \(r.stderr.suffix(300))")
            kills.append(spec)
            if let id = run, let rec = try w.run(id) {
                #expect(rec.status == .interrupted, "after \(spec): status \(rec.status)")
                let steps = try w.metrics(run: id, name: "train/loss").map(\.step)
                #expect(steps == Array(1...max(1, steps.count)).prefix(steps.count).map { $0 }, "after \(spec): a gap in \(steps)")
                if let ckpt = try w.latestCheckpoint(run: id) {
                    let dir = w.resolve(ckpt.path)
                    for file in ["state.json", "lora.safetensors", "optimizer.safetensors", "adapter_config.json"] {
                        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path),
                                "after \(spec): \(ckpt.name) lacks \(file)")
                    }
                    #expect(steps.count >= ckpt.step, "after \(spec): curve ends at \(steps.count), before checkpoint step \(ckpt.step)")
                }
            }
            try w.close()
        }
        print("crash test: \(kills.count) kills (\(kills.joined(separator: ", "))), \(attempts) processes")
        #expect(kills.count == 20)
        let id = try #require(run)
        #expect(try t.losses(ws, run: id) == straight, "the resumed curve equals the uninterrupted one")
    }
}

/// SplitMix64, for the seeded kill moments.
struct SplitMixTest {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
