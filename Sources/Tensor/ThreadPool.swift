import Foundation
import Synchronization

/// A fork-join pool for the engine's small parallel loops (GEMV row splits, per-head attention). Workers spin briefly
/// between jobs — decode dispatches dozens of jobs per token, microseconds apart — then sleep, so an idle pool does not
/// take cores from OpenBLAS or from the UI.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: ((Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var workers: [Thread] = []
    private let finished = DispatchGroup()

    /// Spin iterations before a worker sleeps (about 50–100 µs).
    static let spinLimit = 40_000

    public init(threads: Int) {
        threadCount = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        for index in 1..<threadCount {
            finished.enter()
            let t = Thread { [unowned self] in
                self.workerLoop(index)
                self.finished.leave()
            }
            t.stackSize = 1 << 20
            t.start()
            workers.append(t)
        }
    }

    /// Runs `body(i)` for i in 0..<threadCount, i = 0 on the calling thread; returns when all are done.
    public func run(_ body: @escaping (Int) -> Void) {
        if threadCount == 1 { body(0); return }
        job = body
        pending.store(threadCount - 1, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)
        }
        body(0)
        while pending.load(ordering: .acquiring) > 0 {}
        job = nil
    }

    /// Runs `body(item)` for every item in 0..<count, items spread over the threads in contiguous blocks.
    public func parallelFor(_ count: Int, _ body: @escaping (Int) -> Void) {
        if threadCount == 1 || count < 2 { for i in 0..<count { body(i) }; return }
        let t = threadCount
        run { part in
            let lo = count * part / t, hi = count * (part + 1) / t
            for i in lo..<hi { body(i) }
        }
    }

    private func workerLoop(_ index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins >= ThreadPool.spinLimit {
                    pthread_mutex_lock(&mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen {
                        pthread_cond_wait(&wake, &mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(&mutex)
                    spins = 0
                }
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) {
                pending.subtract(1, ordering: .releasing)
                return
            }
            job?(index)
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Stops and joins the workers (call before exit: a worker inside a kernel at exit can crash the process).
    public func shutdown() {
        guard threadCount > 1, !stopping.load(ordering: .acquiring) else { return }
        stopping.store(true, ordering: .sequentiallyConsistent)
        pending.store(threadCount - 1, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(&mutex)
        pthread_cond_broadcast(&wake)
        pthread_mutex_unlock(&mutex)
        finished.wait()
    }

    deinit {
        shutdown()
        pthread_cond_destroy(&wake)
        pthread_mutex_destroy(&mutex)
    }
}
