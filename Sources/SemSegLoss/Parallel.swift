import Dispatch
#if canImport(Glibc)
import Glibc
#endif
#if os(Linux)
import Synchronization
#endif

// MARK: - Deterministic parallel loops

/// Runs work over fixed-size chunks of a range, in parallel above a size threshold.
///
/// Chunk boundaries depend only on the range and `chunkSize`, never on the number of
/// threads, and per-chunk partial results are combined in chunk order by the callers, so
/// results are bit-for-bit identical whatever the thread count or scheduling.
/// No global mutable state is visible: any number of callers may run loops concurrently
/// (one at a time uses the worker pool, the others run on their own thread).
public enum Parallel {
    /// Below this many scalar operations, loops run on the calling thread.
    public static let defaultThreshold = 1 << 15

    /// Number of threads used by parallel loops (the machine's active processors, at most
    /// `WorkerPool.maxThreads`).
    public static var workerCount: Int {
        #if os(Linux)
        WorkerPool.threadCount
        #else
        max(1, ProcessInfoLite.activeProcessorCount)
        #endif
    }

    /// Calls `body(chunkIndex)` for every chunk index in `0..<chunkCount`, in parallel
    /// when `work` (an estimate of scalar operations) is at least `threshold`.
    @inlinable
    public static func forEachChunk(
        _ chunkCount: Int, work: Int, threshold: Int = defaultThreshold,
        _ body: (Int) -> Void
    ) {
        if chunkCount <= 1 || work < threshold || workerCount == 1 {
            for i in 0..<chunkCount { body(i) }
            return
        }
        runParallel(chunkCount, body)
    }

    /// Splits `0..<count` into chunks of `chunkSize` (last one shorter) and calls
    /// `body(chunkIndex, range)` for each, in parallel above `threshold`.
    @inlinable
    public static func forEachRange(
        count: Int, chunkSize: Int, workPerElement: Int = 1, threshold: Int = defaultThreshold,
        _ body: (Int, Range<Int>) -> Void
    ) {
        guard count > 0 else { return }
        let size = max(1, chunkSize)
        let chunks = (count + size - 1) / size
        forEachChunk(chunks, work: count &* max(1, workPerElement), threshold: threshold) { c in
            let lo = c * size
            body(c, lo..<min(count, lo + size))
        }
    }

    /// The pool when it is free, else the chunks run on the calling thread.
    @usableFromInline
    static func runParallel(_ chunkCount: Int, _ body: (Int) -> Void) {
        #if os(Linux)
        if WorkerPool.shared.run(chunkCount, body) { return }
        for i in 0..<chunkCount { body(i) }
        #else
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { i in box.value(i) }
        }
        #endif
    }
}

/// Carries a non-Sendable closure to other threads; the loops above only hand it
/// disjoint chunk indices, and callers write to disjoint memory per chunk.
@usableFromInline
struct UncheckedSendable<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @inlinable init(_ value: T) { self.value = value }
}

/// Processor count without Foundation (keeps the `.so` small and toolchain-free).
public enum ProcessInfoLite {
    public static let activeProcessorCount: Int = {
        #if canImport(Glibc)
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? Int(n) : 1
        #else
        return 1
        #endif
    }()
}
