@testable import Runs
import Foundation
import Store
import Testing
@testable import Workbench

/// The engine side of the workbench on the tiny-chat fixture: a run steps on the worker, a sample requested mid-run
/// streams its tokens before it finishes, is stored at the step it was taken, and pause/resume/stop leave the run
/// resumable from a checkpoint.
@Suite struct EngineHostTests {
    static let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures")

    func makeWorkspace(steps: Int) throws -> (Workspace, URL, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-host-\(UUID().uuidString.prefix(8))")
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("models"), withIntermediateDirectories: true)
        try fm.createDirectory(at: dir.appendingPathComponent("datasets"), withIntermediateDirectories: true)
        try fm.copyItem(at: Self.fixtures.appendingPathComponent("models/tiny-chat"), to: dir.appendingPathComponent("models/base"))
        let data = (0..<24).map { i in
            #"{"messages":[{"role":"user","content":"What is \#(i)+\#(i)?"},{"role":"assistant","content":"Ahoy! \#(2 * i) — Lathe"}]}"#
        }.joined(separator: "\n") + "\n"
        try Data(data.utf8).write(to: dir.appendingPathComponent("datasets/train.jsonl"))
        let config = """
            name = "host-test"
            kind = "sft"
            seed = 3
            [model]
            base = "models/base"
            [data]
            train = "datasets/train.jsonl"
            max_length = 64
            [lora]
            rank = 4
            alpha = 8.0
            [optimizer]
            lr = 5e-3
            [training]
            steps = \(steps)
            batch_size = 4
            [checkpoint]
            every = 5
            """
        return (try Workspace.open(dir, mode: .write), dir, config)
    }

    /// Drains events until `until` says stop (or 60 s pass).
    func drain(_ host: EngineHost, _ into: inout [EngineEvent], until: ([EngineEvent]) -> Bool) {
        let deadline = Date().addingTimeInterval(60)
        while !until(into) && Date() < deadline {
            into.append(contentsOf: host.drainEvents())
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    @Test func sampleMidRunStreamsTokensAndIsStoredAtItsStep() throws {
        let (ws, dir, config) = try makeWorkspace(steps: 400)
        defer { try? ws.close(); try? FileManager.default.removeItem(at: dir) }
        let host = EngineHost(workspace: ws, threads: 1)
        host.start(configText: config, source: "test")
        var events: [EngineEvent] = []
        drain(host, &events) { $0.contains { if case .step(_, let r) = $0 { return r.step >= 3 }; return false } }
        guard let runID = events.lazy.compactMap({ e -> String? in if case .runStarted(let r) = e { return r.id }; return nil }).first else {
            Issue.record("run did not start: \(events)"); host.shutdown(); return
        }
        let request = SampleRequest(id: host.newRequestID(), runID: runID, useAdapter: true, prompt: "What is 2+2?", chat: true,
                                    count: 2, maxTokens: 12, temperature: 0.9, topP: 1, seed: 5)
        host.sample(request, base: dir.appendingPathComponent("models/base"))
        drain(host, &events) { evs in evs.filter { if case .sampleFinished = $0 { return true }; return false }.count == 2 }
        host.stop()
        drain(host, &events) { $0.contains { if case .runEnded = $0 { return true }; return false } }
        host.shutdown()

        var streamed = ["", ""]
        var finished: [Int: SampleRecord] = [:]
        for e in events {
            switch e {
            case .token(let r, let s, let text, _) where r == request.id:
                #expect(finished[s] == nil, "token after its sample finished")
                streamed[s] += text
            case .sampleFinished(let r, let s, let record, _) where r == request.id: finished[s] = record
            default: break
            }
        }
        let stored = try ws.samples(run: runID, kind: "probe")
        #expect(stored.count == 2)
        for (i, s) in stored.enumerated() {
            #expect(s.completion == streamed[i], "streamed pieces join to the stored completion")
            #expect(s.step >= 3 && s.step < 400, "sampled mid-run (step \(s.step))")
            #expect(s.settingsJSON.contains("\"seed\":5") && s.settingsJSON.contains("\"sample_index\":\(i)"))
            #expect(TokenPiece.parse(s.tokensJSON).map(\.text).joined() == s.completion)
        }
        let run = try #require(try ws.run(runID))
        #expect(run.status == .paused, "stop leaves the run resumable")
        #expect(try ws.latestCheckpoint(run: runID)?.step == run.lastStep)
        #expect(run.lastStep > 3 && run.lastStep < 400)
    }

    @Test func pauseKeepsTheRunLoadedAndResumeContinuesIt() throws {
        let (ws, dir, config) = try makeWorkspace(steps: 30)
        defer { try? ws.close(); try? FileManager.default.removeItem(at: dir) }
        let host = EngineHost(workspace: ws, threads: 1)
        host.start(configText: config, source: "test")
        var events: [EngineEvent] = []
        drain(host, &events) { $0.contains { if case .step = $0 { return true }; return false } }
        host.pause()
        drain(host, &events) { $0.contains { if case .runPaused = $0 { return true }; return false } }
        let stepsAtPause = events.filter { if case .step = $0 { return true }; return false }.count
        Thread.sleep(forTimeInterval: 0.3)
        events.append(contentsOf: host.drainEvents())
        #expect(events.filter { if case .step = $0 { return true }; return false }.count == stepsAtPause, "no step while paused")
        host.resumeLive()
        drain(host, &events) { $0.contains { if case .runEnded(_, let status, _) = $0 { return status == .completed }; return false } }
        host.shutdown()
        let steps = events.compactMap { e -> Int? in if case .step(_, let r) = e { return r.step }; return nil }
        #expect(steps == Array(1...30))
    }

    @Test func forkStartsANewRunFromACheckpointWithAnEditedConfig() throws {
        let (ws, dir, config) = try makeWorkspace(steps: 10)
        defer { try? ws.close(); try? FileManager.default.removeItem(at: dir) }
        let host = EngineHost(workspace: ws, threads: 1)
        host.start(configText: config, source: "test")
        var events: [EngineEvent] = []
        drain(host, &events) { $0.contains { if case .runEnded = $0 { return true }; return false } }
        let parent = try #require(try ws.runs().first)
        #expect(try ws.checkpoints(run: parent.id).map(\.step) == [5, 10])
        host.fork(runID: parent.id, checkpoint: "step-000005", configText: config.replacingOccurrences(of: "lr = 5e-3", with: "lr = 1e-3"))
        events = []
        drain(host, &events) { $0.contains { if case .runEnded = $0 { return true }; return false } }
        host.shutdown()
        let child = try #require(try ws.runs().first { $0.id != parent.id })
        #expect(child.parentRunID == parent.id && child.parentCheckpoint == "step-000005")
        #expect(child.status == .completed && child.configTOML.contains("lr = 1e-3"))
        #expect(try ws.metrics(run: child.id, name: "train/loss").map(\.step) == Array(6...10), "continues from the checkpoint's step")
        #expect(try ws.metrics(run: child.id, name: "train/lr").first?.value != (try ws.metrics(run: parent.id, name: "train/lr")[5].value))
    }
}
