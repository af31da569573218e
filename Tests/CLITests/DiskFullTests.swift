import Foundation
import Store
import Testing

/// A full disk at seeded write sites of a training run (the n-th file, folder or database write and every one
/// after it fail with ENOSPC while a marker file exists): the CLI says so in one line and stops, the workspace opens,
/// the last checkpoint is complete, and once space returns (the marker removed) the run resumes and ends with the
/// curve of a run that never failed, bit for bit.
struct DiskFullTests {
    @Test func aFullDiskStopsTheRunCleanlyAndItResumesWhenSpaceReturns() throws {
        let t = TrainCLITests()
        let (wsA, configA) = try t.makeWorkspace(steps: 12, checkpointEvery: 3)
        defer { try? FileManager.default.removeItem(at: wsA) }
        let a = try LatheBinary.run(["train", "--workspace", wsA.path, "--config", configA.path])
        try #require(a.status == 0, "\(a.stderr)")
        let straight = try t.losses(wsA, run: try Workspace.open(wsA, mode: .readOnly).runs().first!.id)

        var rng = SplitMixTest(seed: 7)
        var sites: [Int] = [1, 2, 3]
        while sites.count < 12 { sites.append(4 + rng.below(60)) }
        var failures = 0
        for n in sites {
            let (ws, config) = try t.makeWorkspace(steps: 12, checkpointEvery: 3)
            defer { try? FileManager.default.removeItem(at: ws) }
            let marker = ws.appendingPathComponent("disk-is-full")
            try Data().write(to: marker)
            let r = try LatheBinary.run(["train", "--workspace", ws.path, "--config", config.path],
                                        environment: ["LATHE_FAIL_WRITES": "\(n)", "LATHE_FAIL_WRITES_WHILE": marker.path])
            try FileManager.default.removeItem(at: marker)
            let w = try Workspace.open(ws, mode: .write)
            let run = try w.runs().first
            if r.status == 0 { try w.close(); continue }   // the run needed fewer writes than n
            failures += 1
            let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("[train]") && !$0.hasPrefix("step ") }
            #expect(lines.count == 1 && lines[0].contains("No space left on device"), "write \(n): \(r.stderr)")
            if let run, let ckpt = try w.latestCheckpoint(run: run.id) {
                for file in ["state.json", "lora.safetensors", "optimizer.safetensors", "adapter_model.safetensors"] {
                    #expect(FileManager.default.fileExists(atPath: w.resolve(ckpt.path).appendingPathComponent(file).path),
                            "write \(n): \(ckpt.name) lacks \(file)")
                }
            }
            try w.close()
            // Space is back: resume (or start, when the run never got recorded) and finish as if nothing happened.
            let args = run.map { ["train", "--workspace", ws.path, "--resume", $0.id] } ?? ["train", "--workspace", ws.path, "--config", config.path]
            let again = try LatheBinary.run(args)
            #expect(again.status == 0, "write \(n): resume failed: \(again.stderr)")
            let id = try Workspace.open(ws, mode: .readOnly).runs().first!.id
            #expect(try t.losses(ws, run: id) == straight, "write \(n): the resumed curve differs")
        }
        print("disk full: \(failures) of \(sites.count) write sites stopped the run: \(sites)")
        #expect(failures >= 10)
    }
}
