import Foundation
import Testing
@testable import Store

/// What the workbench keeps beyond runs and metrics: feedback, per-token sample detail, UI state, save-as.
@Suite struct WorkbenchStoreTests {
    @Test func feedbackIsSetReplacedAndCleared() throws {
        let folder = TemporaryFolder("feedback")
        defer { folder.remove() }
        let ws = try Workspace.open(folder.url, mode: .write)
        try ws.createRun(makeRun("r"))
        let s = try ws.addSample(SampleRecord(runID: "r", step: 3, kind: "probe", prompt: "p", completion: "c",
                                              tokensJSON: #"[{"text":"c","logprob":-0.5}]"#))
        try ws.setFeedback(sampleID: s.id!, rating: 1)
        #expect(try ws.feedback(run: "r") == [s.id!: 1])
        try ws.setFeedback(sampleID: s.id!, rating: -1)
        #expect(try ws.feedback(run: "r") == [s.id!: -1])
        try ws.setFeedback(sampleID: s.id!, rating: nil)
        #expect(try ws.feedback(run: "r").isEmpty)
        #expect(throws: StoreError.self) { try ws.setFeedback(sampleID: 999, rating: 1) }
        #expect(throws: StoreError.self) { try ws.setFeedback(sampleID: s.id!, rating: 2) }
        #expect(try ws.samples(run: "r")[0].tokensJSON == #"[{"text":"c","logprob":-0.5}]"#)
    }

    @Test func uiStateAndSaveAsSurviveReopening() throws {
        let folder = TemporaryFolder("uistate")
        defer { folder.remove() }
        let ws = try Workspace.open(folder.url.appendingPathComponent("a"), mode: .write)
        try ws.createRun(makeRun("r"))
        try ws.appendMetrics([MetricPoint(runID: "r", name: "train/loss", step: 1, value: 2.5, wallTime: 1)])
        let s = try ws.addSample(SampleRecord(runID: "r", step: 1, prompt: "p", completion: "c"))
        try ws.setFeedback(sampleID: s.id!, rating: 1)
        try ws.setUIState("workbench", #"{"pane":2}"#)
        let copyURL = folder.url.appendingPathComponent("b")
        try ws.saveCopy(to: copyURL)
        #expect(throws: StoreError.self) { try ws.saveCopy(to: copyURL) }
        try ws.close()
        let copy = try Workspace.open(copyURL, mode: .write)
        #expect(try copy.uiState("workbench") == #"{"pane":2}"#)
        #expect(try copy.metrics(run: "r", name: "train/loss").map(\.value) == [2.5])
        #expect(try copy.feedback(run: "r") == [s.id!: 1])
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(".b.partial").path))
        try copy.close()
    }
}
