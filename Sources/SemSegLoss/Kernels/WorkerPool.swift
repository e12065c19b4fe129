#if os(Linux)
import Glibc
import Synchronization

// MARK: - A small fork-join pool for the kernels

/// Persistent worker threads that run `Parallel.forEachChunk` jobs.
///
/// Why not `DispatchQueue.concurrentPerform`: a Dice loss over 16x256x256 floats takes
/// ~0.35 ms in up to two parallel regions. Profiled from Python, `concurrentPerform` ran
/// the chunks on the caller plus two Dispatch workers (three threads on two cores, next
/// to NumPy's OpenBLAS threads) and each region waited for parked workers to wake; the old
/// kernels took twice their pure-Swift time unless OPENBLAS_NUM_THREADS=1. Here there is
/// one thread per core, the caller takes chunks itself (a late worker only means less
/// help), and workers spin for a short while after each job (`spinNanoseconds`, yielding
/// the core as they poll) so back-to-back regions and calls find them awake; then they
/// sleep on a condition variable and cost nothing. OPENBLAS_NUM_THREADS now makes no
/// measurable difference.
///
/// One job runs at a time: a caller that finds the pool busy (another thread's job, or a
/// nested loop) runs its chunks on its own thread, so results never depend on it.
/// After `fork()` the child process runs everything on the calling thread.
final class WorkerPool: @unchecked Sendable {
    /// Upper bound on threads (caller included): the kernels are memory-bound well before.
    static let maxThreads = 16
    /// How long an idle worker keeps polling for the next job before sleeping.
    static let spinNanoseconds: UInt64 = 200_000

    static let threadCount = min(maxThreads, max(1, ProcessInfoLite.activeProcessorCount))
    static let shared = WorkerPool(workers: threadCount - 1)

    private let workers: Int
    /// Set while a caller owns the pool.
    private let busy = Atomic<Bool>(false)
    /// Id of the published job, 0 when none is open to joiners.
    private let jobID = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let finishedChunks = Atomic<Int>(0)
    /// Workers inside a job (the caller waits for 0 before the job's closure dies).
    private let participants = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    /// Set in a forked child: its copy of the pool has no threads.
    private let disabled = Atomic<Bool>(false)

    // The job, written by the owner before `jobID` is published (release) and read by
    // workers after they see it (acquire); cleared only when no worker is inside.
    @exclusivity(unchecked) private var chunkCount = 0
    @exclusivity(unchecked) private var body: ((Int) -> Void)?
    @exclusivity(unchecked) private var lastID = 0

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    private init(workers: Int) {
        self.workers = workers
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        guard workers > 0 else { return }
        pthread_atfork(nil, nil, { WorkerPool.shared.disabled.store(true, ordering: .relaxed) })
        for _ in 0..<workers {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let started = pthread_create(&thread, nil, { context in
                let pool = Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue()
                pool.workerLoop()
                return nil
            }, context)
            if started == 0 {
                pthread_detach(thread)
            } else {
                Unmanaged<WorkerPool>.fromOpaque(context).release()
            }
        }
    }

    /// Runs `body(i)` for i in 0..<count on the caller and the workers; returns false
    /// (without running anything) when the pool is unavailable.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 0, !disabled.load(ordering: .relaxed),
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        withoutActuallyEscaping(body) { body in
            self.body = body
            chunkCount = count
            nextChunk.store(0, ordering: .relaxed)
            finishedChunks.store(0, ordering: .relaxed)
            lastID &+= 1
            if lastID == 0 { lastID = 1 }
            jobID.store(lastID, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            takeChunks(body, count)
            var spins = 0
            while finishedChunks.load(ordering: .acquiring) < count { Self.pause(&spins) }
            jobID.store(0, ordering: .sequentiallyConsistent)
            while participants.load(ordering: .sequentiallyConsistent) != 0 { Self.pause(&spins) }
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims chunk indices until none is left.
    private func takeChunks(_ body: (Int) -> Void, _ count: Int) {
        while true {
            let i = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
            finishedChunks.wrappingAdd(1, ordering: .releasing)
        }
    }

    /// Takes chunks of the open job. A function of its own so that the worker's copy of
    /// the closure is released before `participants` drops (an `if let` binding in the
    /// loop kept it alive past the decrement in debug builds).
    @inline(never)
    private func joinJob() {
        guard let body else { return }
        takeChunks(body, chunkCount)
    }

    private func workerLoop() {
        var seen = 0
        while true {
            let id = waitForJob(after: seen)
            seen = id
            participants.wrappingAdd(1, ordering: .sequentiallyConsistent)
            // Join only if the job is still open: once the owner has closed it, its closure
            // may be gone.
            if jobID.load(ordering: .sequentiallyConsistent) == id { joinJob() }
            participants.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Polls for a job id other than 0 and `seen` for `spinNanoseconds`, then sleeps.
    /// The polling yields the processor every 64 polls: free when the core is otherwise
    /// idle, and it keeps a spinning worker from delaying the caller when both share a core
    /// (an affinity mask or a CPU quota smaller than the processor count).
    private func waitForJob(after seen: Int) -> Int {
        let start = Self.now()
        var polls = 0
        while true {
            let id = jobID.load(ordering: .acquiring)
            if id != 0 && id != seen { return id }
            polls &+= 1
            if polls & 63 == 0 {
                if Self.now() &- start > Self.spinNanoseconds { break }
                sched_yield()
            }
        }
        pthread_mutex_lock(mutex)
        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        var id = jobID.load(ordering: .sequentiallyConsistent)
        while id == 0 || id == seen {
            pthread_cond_wait(condition, mutex)
            id = jobID.load(ordering: .sequentiallyConsistent)
        }
        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
        return id
    }

    /// Busy-waits briefly, then yields the processor (so that a waiting caller cannot
    /// starve a worker that shares its core).
    private static func pause(_ spins: inout Int) {
        spins &+= 1
        if spins > 4096 { sched_yield() }
    }

    private static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }
}
#endif
