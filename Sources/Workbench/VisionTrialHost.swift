import Engine
import Foundation
import Runs
import Store
import Vision

/// What the trial host tells the vision pane.
enum VisionTrialEvent {
    case started(gridID: String, total: Int)
    case progress(TrialProgress)
    case ended(gridID: String, status: String, error: String?)
}

/// Runs a trial grid on the engine worker, one background job per trial (so sampling and training steps go first),
/// storing every finished trial and the grid's summary in the workspace as it goes.
final class VisionTrialHost: @unchecked Sendable {
    let engine: EngineHost
    let workspace: Workspace
    private let lock = NSLock()
    private var events: [VisionTrialEvent] = []
    private var cancelRequested = false
    private(set) var runningGridID: String?

    // Engine-thread state.
    private var runner: TrialRunner?
    private var runnerKey: String?

    init(engine: EngineHost, workspace: Workspace) { self.engine = engine; self.workspace = workspace }

    func drainEvents() -> [VisionTrialEvent] {
        lock.lock(); defer { lock.unlock() }
        let out = events; events.removeAll(); return out
    }

    private func emit(_ e: VisionTrialEvent) { lock.lock(); events.append(e); lock.unlock() }
    private var cancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelRequested }

    var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return runningGridID != nil }

    func cancel() { lock.lock(); cancelRequested = true; lock.unlock() }

    /// Starts a grid on `dataDirectory` with `settings`; models come from the workspace's `models/vision`.
    func start(settings: TrialSettings, dataDirectory: URL) {
        lock.lock()
        guard runningGridID == nil else { lock.unlock(); return }
        cancelRequested = false
        let gridID = "grid-" + String(UUID().uuidString.prefix(8)).lowercased()
        runningGridID = gridID
        lock.unlock()
        engine.submitBackground { [self] in
            do {
                let key = "\(dataDirectory.path)|\(settings.methods)|\(settings.testSize)"
                if runner == nil || runnerKey != key || runner?.settings != settings {
                    let data = try VisionData(directory: dataDirectory)
                    let models = try TrialModels.load(workspace: workspace.directory, methods: settings.methods)
                    runner = try TrialRunner(data: data, settings: settings, models: models)
                    runnerKey = key
                }
                let r = runner!
                let encoder = JSONEncoder()
                let grid = TrialGridRecord(id: gridID, data: dataDirectory.path,
                                           settingsJSON: String(decoding: try encoder.encode(settings), as: UTF8.self),
                                           classNamesJSON: String(decoding: try encoder.encode(r.data.classNames), as: UTF8.self),
                                           heldOutJSON: String(decoding: try encoder.encode(r.heldOut.sorted()), as: UTF8.self),
                                           testIndicesJSON: String(decoding: try encoder.encode(r.testIndices), as: UTF8.self))
                try workspace.addTrialGrid(grid)
                emit(.started(gridID: gridID, total: r.totalTrials))
                var plan: [(TrialMethod, Int, Int)] = []
                for s in settings.shots { for seed in 0..<settings.seeds { for m in settings.methods { plan.append((m, s, seed)) } } }
                scheduleTrial(gridID: gridID, runner: r, plan: plan, index: 0, outcomes: [], started: Date())
            } catch {
                finish(gridID, status: "failed", error: "\(error)", outcomes: [], runner: nil, started: Date())
            }
        }
    }

    private func scheduleTrial(gridID: String, runner r: TrialRunner, plan: [(TrialMethod, Int, Int)], index: Int,
                               outcomes: [TrialOutcome], started: Date) {
        engine.submitBackground { [self] in
            if cancelled { finish(gridID, status: "cancelled", error: nil, outcomes: outcomes, runner: r, started: started); return }
            guard index < plan.count else { finish(gridID, status: "done", error: nil, outcomes: outcomes, runner: r, started: started); return }
            let (method, shots, seed) = plan[index]
            do {
                let support = try VisionSplits.support(r.data, pool: r.splits.supportPool, shots: shots, seed: UInt64(seed))
                let o = try r.trial(method, shots: shots, seed: seed, support: support) { self.cancelled }
                try workspace.addTrial(TrialRecord(gridID: gridID, method: method.rawValue, shots: shots, seed: seed,
                                                   accuracy: o.accuracy(labels: r.testLabels),
                                                   predictionsJSON: String(decoding: try JSONEncoder().encode(o.predictions), as: UTF8.self),
                                                   supportJSON: String(decoding: try JSONEncoder().encode(o.support), as: UTF8.self),
                                                   seconds: o.seconds))
                let all = outcomes + [o]
                let elapsed = Date().timeIntervalSince(started)
                let eta = elapsed / Double(all.count) * Double(plan.count - all.count)
                emit(.progress(TrialProgress(done: all.count, total: plan.count, elapsed: elapsed, eta: eta, last: o)))
                scheduleTrial(gridID: gridID, runner: r, plan: plan, index: index + 1, outcomes: all, started: started)
            } catch is TrialCancelled {
                finish(gridID, status: "cancelled", error: nil, outcomes: outcomes, runner: r, started: started)
            } catch {
                finish(gridID, status: "failed", error: "\(error)", outcomes: outcomes, runner: r, started: started)
            }
        }
    }

    private func finish(_ gridID: String, status: String, error: String?, outcomes: [TrialOutcome], runner r: TrialRunner?, started: Date) {
        var summaryJSON: String?
        if let r, let s = try? TrialSummary(outcomes: outcomes, labels: r.testLabels, heldOut: r.heldOut,
                                            methods: r.settings.methods, shots: r.settings.shots) {
            summaryJSON = (try? JSONEncoder().encode(s)).map { String(decoding: $0, as: UTF8.self) }
        }
        try? workspace.finishTrialGrid(gridID, status: status, summaryJSON: summaryJSON, wallSeconds: Date().timeIntervalSince(started))
        lock.lock(); runningGridID = nil; lock.unlock()
        emit(.ended(gridID: gridID, status: status, error: error))
    }
}
