import Foundation
import Synchronization

/// A fork-join pool for the engine's small parallel loops (GEMV row splits). Each `run` has `threadCount` parts that
/// threads *claim*: the calling thread claims parts too, so a worker the OS has not scheduled (another process on the
/// other core) delays nothing unless it already holds a part. Workers spin briefly between jobs — decode dispatches
/// dozens of jobs per token, microseconds apart — then sleep, so an idle pool takes no core from OpenBLAS or the UI.
public final class ThreadPool: @unchecked Sendable {
    public let threadCount: Int
    /// (job generation << 24) | next unclaimed part: one word, so a claim can never pair a part with a stale job.
    private let claim = Atomic<Int>(0)
    private let generation = Atomic<Int>(0)
    private let partsDone = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: ((Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var workers: [Thread] = []
    private let finished = DispatchGroup()

    /// Spin iterations before a worker sleeps (about 50–100 µs).
    static let spinLimit = 40_000
    static let partBits = 24

    public init(threads: Int) {
        threadCount = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        for _ in 1..<threadCount {
            finished.enter()
            let t = Thread { [unowned self] in
                self.workerLoop()
                self.finished.leave()
            }
            t.stackSize = 1 << 20
            t.start()
            workers.append(t)
        }
    }

    /// Runs `body(i)` once for every part i in 0..<threadCount; returns when all parts are done.
    public func run(_ body: @escaping (Int) -> Void) {
        if threadCount == 1 { body(0); return }
        let gen = generation.load(ordering: .sequentiallyConsistent) + 1
        job = body                                   // written before the generation that announces it
        partsDone.store(0, ordering: .sequentiallyConsistent)
        claim.store(gen << ThreadPool.partBits, ordering: .sequentiallyConsistent)
        generation.store(gen, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)
        }
        claimParts(generation: gen)
        while partsDone.load(ordering: .sequentiallyConsistent) < threadCount {}
    }

    /// Claims and runs parts of job `gen` until none is left. A claim succeeds only while `gen` is current, and the
    /// job cannot change before every claimed part is done, so reading `job` after a claim is safe.
    private func claimParts(generation gen: Int) {
        while true {
            let state = claim.load(ordering: .sequentiallyConsistent)
            let part = state & ((1 << ThreadPool.partBits) - 1)
            guard state >> ThreadPool.partBits == gen, part < threadCount else { return }
            guard claim.compareExchange(expected: state, desired: state + 1, ordering: .sequentiallyConsistent).exchanged
            else { continue }
            job!(part)
            partsDone.add(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Runs `body(item)` for every item in 0..<count, items spread over the parts in contiguous blocks.
    public func parallelFor(_ count: Int, _ body: @escaping (Int) -> Void) {
        if threadCount == 1 || count < 2 { for i in 0..<count { body(i) }; return }
        let t = threadCount
        run { part in
            let lo = count * part / t, hi = count * (part + 1) / t
            for i in lo..<hi { body(i) }
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && !stopping.load(ordering: .acquiring) {
                spins += 1
                if spins >= ThreadPool.spinLimit {
                    pthread_mutex_lock(&mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen
                            && !stopping.load(ordering: .sequentiallyConsistent) {
                        pthread_cond_wait(&wake, &mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(&mutex)
                    spins = 0
                }
            }
            if stopping.load(ordering: .acquiring) { return }
            seen = generation.load(ordering: .sequentiallyConsistent)
            claimParts(generation: seen)
        }
    }

    /// Stops and joins the workers (call before exit: a worker inside a kernel at exit can crash the process).
    public func shutdown() {
        guard threadCount > 1, !stopping.load(ordering: .acquiring) else { return }
        stopping.store(true, ordering: .sequentiallyConsistent)
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
