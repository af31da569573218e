import Foundation
import Runs
import Store
import Testing
import Vision
@testable import Workbench

/// The vision pane's host on a real engine worker: a pixels-only grid (no models needed) runs trial by trial in the
/// background, every trial and the summary land in the workspace, and a stop request ends the grid as cancelled.
@Suite struct VisionTrialHostTests {
    func setUp() throws -> (Workspace, EngineHost, VisionTrialHost, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-vhost-\(UUID().uuidString.prefix(8))")
        let data = dir.appendingPathComponent("data")
        try VisionPaneTests.writeData(data)
        let ws = try Workspace.open(dir, mode: .write)
        let engine = EngineHost(workspace: ws, threads: 1)
        return (ws, engine, VisionTrialHost(engine: engine, workspace: ws), data)
    }

    func waitForEnd(_ host: VisionTrialHost, during: (VisionTrialEvent) -> Void = { _ in }) -> (String, String?) {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            for e in host.drainEvents() {
                during(e)
                if case .ended(_, let status, let error) = e { return (status, error) }
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return ("timeout", nil)
    }

    static var pixels: TrialSettings {
        var s = TrialSettings.quick
        s.methods = [.pixels]; s.shots = [1]; s.seeds = 6; s.testSize = 6   // the folder's support pool holds 1 image of class 0
        return s
    }

    @Test func aGridRunsAndIsStored() throws {
        let (ws, engine, host, data) = try setUp()
        defer { engine.shutdown(); try? ws.close() }
        host.start(settings: Self.pixels, dataDirectory: data)
        var progress = 0
        let (status, error) = waitForEnd(host) { if case .progress = $0 { progress += 1 } }
        #expect(status == "done" && error == nil && progress == 6)
        let grid = try #require(try ws.trialGrids().first)
        #expect(grid.status == "done" && grid.summaryJSON != nil)
        #expect(try ws.trials(grid: grid.id).count == 6)
        let summary = try JSONDecoder().decode(TrialSummary.self, from: Data(grid.summaryJSON!.utf8))
        #expect(summary.results.map(\.shots) == [1] && summary.results.allSatisfy { $0.nSeeds == 6 })
        #expect(!host.isRunning)
    }

    @Test func stoppingEndsTheGridAsCancelled() throws {
        let (ws, engine, host, data) = try setUp()
        defer { engine.shutdown(); try? ws.close() }
        var s = Self.pixels
        s.seeds = 50
        host.start(settings: s, dataDirectory: data)
        let (status, _) = waitForEnd(host) { if case .progress(let p) = $0, p.done == 2 { host.cancel() } }
        #expect(status == "cancelled")
        let grid = try #require(try ws.trialGrids().first)
        #expect(grid.status == "cancelled")
        let stored = try ws.trials(grid: grid.id).count
        #expect(stored >= 2 && stored < 100)
    }

    @Test func aMissingDataFolderFailsWithItsName() throws {
        let (ws, engine, host, _) = try setUp()
        defer { engine.shutdown(); try? ws.close() }
        host.start(settings: Self.pixels, dataDirectory: URL(fileURLWithPath: "/nonexistent-vision-data"))
        let (status, error) = waitForEnd(host)
        #expect(status == "failed" && error?.contains("/nonexistent-vision-data") == true)
    }
}
