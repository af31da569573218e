import Foundation
import Testing
@testable import Engine

struct EngineWorkerTests {
    final class Log: @unchecked Sendable {
        let lock = NSLock()
        var items: [String] = []
        func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    }

    /// While a job runs, queued work is taken interactive first, then training, then background, FIFO within each.
    @Test func priorityOrder() throws {
        let worker = EngineWorker()
        let log = Log()
        let gate = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0)
        worker.submit(.training) { started.signal(); gate.wait(); log.add("running") }
        started.wait()   // the first job is in flight; everything below queues behind it
        worker.submit(.background) { log.add("bg1") }
        worker.submit(.training) { log.add("train1") }
        worker.submit(.interactive) { log.add("sample1") }
        worker.submit(.training) { log.add("train2") }
        worker.submit(.interactive) { log.add("sample2") }
        #expect(worker.pending == [2, 2, 1])
        gate.signal()
        let last = try worker.run(.background) { "done" }
        #expect(last == "done")
        #expect(log.items == ["running", "sample1", "sample2", "train1", "train2", "bg1"])
        worker.shutdown()
    }

    /// A long job that reaches a safe point runs the interactive jobs queued by then, and only those, before going on.
    @Test func aLongJobServesInteractiveJobsAtItsSafePoints() throws {
        let worker = EngineWorker()
        let log = Log()
        let gate = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0)
        worker.submit(.training) {
            started.signal(); gate.wait()
            log.add("part 1")
            worker.runPendingInteractive()
            log.add("part 2")
        }
        started.wait()
        worker.submit(.training) { log.add("next step") }
        worker.submit(.interactive) { log.add("sample") }
        gate.signal()
        _ = try worker.run(.background) { 0 }
        #expect(log.items == ["part 1", "sample", "part 2", "next step"])
        worker.shutdown()
    }

    @Test func errorsComeBackToTheCaller() {
        let worker = EngineWorker()
        #expect(throws: LatheError("boom")) { try worker.run(.interactive) { throw LatheError("boom") } }
        worker.shutdown()
    }
}
