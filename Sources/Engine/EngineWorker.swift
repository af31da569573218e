import Foundation

/// The engine's one compute thread (contract 1): every Session call runs here, taken from three queues in priority
/// order — interactive sampling before training micro-steps before background work (eval, reward-model updates).
/// A job is never interrupted; priorities decide what runs next, so a keypress waits at most for the job in flight.
public final class EngineWorker: @unchecked Sendable {
    public enum Priority: Int, CaseIterable, Sendable { case interactive = 0, training = 1, background = 2 }

    private let condition = NSCondition()
    private var queues: [[() -> Void]] = [[], [], []]
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    public init(name: String = "lathe-engine") {
        let t = Thread { [unowned self] in self.loop() }
        t.name = name
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    /// Queues `job` and returns at once.
    public func submit(_ priority: Priority, _ job: @escaping () -> Void) {
        condition.lock()
        guard !stopping else { condition.unlock(); return }
        queues[priority.rawValue].append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the engine thread at `priority` and waits for its result (errors are rethrown here).
    public func run<T>(_ priority: Priority, _ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        var result: Result<T, Error>!
        submit(priority) {
            result = Result { try body() }
            done.signal()
        }
        done.wait()
        return try result.get()
    }

    /// Runs the interactive jobs queued right now, on the calling thread, which must be the engine thread inside a
    /// job: a long job (an RL step: rollouts, then training) calls it at points where the model is in a consistent
    /// state, so a keypress waits for one such stretch rather than the whole job.
    public func runPendingInteractive() {
        while true {
            condition.lock()
            guard !queues[Priority.interactive.rawValue].isEmpty else { condition.unlock(); return }
            let job = queues[Priority.interactive.rawValue].removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Jobs waiting at each priority.
    public var pending: [Int] {
        condition.lock(); defer { condition.unlock() }
        return queues.map(\.count)
    }

    private func loop() {
        while true {
            condition.lock()
            while !stopping && queues.allSatisfy(\.isEmpty) { condition.wait() }
            if stopping && queues.allSatisfy(\.isEmpty) { condition.unlock(); break }
            let index = queues.firstIndex { !$0.isEmpty }!
            let job = queues[index].removeFirst()
            condition.unlock()
            job()
        }
        finished.signal()
    }

    /// Finishes the queued jobs, then stops and joins the thread.
    public func shutdown() {
        condition.lock()
        if stopping { condition.unlock(); return }
        stopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    deinit { shutdown() }
}
