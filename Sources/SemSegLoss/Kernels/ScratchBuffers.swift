#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

// MARK: - Large scratch buffers kept between calls

/// Scratch memory for the kernels that need buffers as large as their input (the sort
/// buffers of a Lovász entry, the per-element values of top-k CE, SSIM's statistics
/// planes, the softmax probabilities of multiclass mode), kept between calls.
///
/// Why: freshly allocated memory that large comes from the kernel, page by page, when the
/// process's heap was trimmed since the last call (glibc returns freed memory above its
/// trim threshold to the system, and a training step or NumPy work between two loss calls
/// does exactly that). Measured on 16×1×256×256 with a NumPy forward+backward between calls:
/// binary Lovász-softmax took 21.8 ms with 4 600 page faults per call against 5.0 ms and
/// 270 faults when called back to back; top-k CE 4.9 against 1.3 ms (1 600 faults).
///
/// The kernels use `shared` (`ScratchPool`: buffers of at least 256 KB pooled, at most
/// 256 MB kept). `releaseAll()` frees what it keeps.
public enum ScratchBuffers {
    /// The pool the kernels use. A forked child stops pooling (`ScratchPool.forked`): the
    /// fork may have copied the pool's lock while another thread held it.
    public static let shared: ScratchPool = {
        let pool = ScratchPool(minimumBytes: 1 << 18, retainedBytes: 256 << 20)
        pthread_atfork(nil, nil, { ScratchBuffers.shared.forked() })
        return pool
    }()

    /// Runs `body` with an uninitialised buffer of `count` elements of `T` (trivial types)
    /// from `shared`. Throws `.allocation` (Python `MemoryError`) when the memory cannot be
    /// obtained, instead of trapping as Swift's allocator does: these buffers are as large
    /// as the input, the allocations a large input is most likely to make fail.
    @inline(__always)
    static func withBuffer<T, R>(
        of type: T.Type, count: Int, _ body: (UnsafeMutablePointer<T>) throws(SegLossError) -> R
    ) throws(SegLossError) -> R {
        let raw = try take(try byteCount(count, of: T.self))
        defer { shared.give(raw) }
        return try body(raw.baseAddress!.bindMemory(to: T.self, capacity: max(1, count)))
    }

    /// `withBuffer` for work that cannot throw (the bodies of `Parallel.forEachChunk`): when
    /// the memory cannot be obtained, `body` is skipped and the error kept in `failures`,
    /// which the caller checks (`AllocationFailures.check`) once the parallel work is done.
    @inline(__always)
    static func withBuffer<T>(
        of type: T.Type, count: Int, failures: AllocationFailures, _ body: (UnsafeMutablePointer<T>) -> Void
    ) {
        do {
            try withBuffer(of: type, count: count) { (buffer: UnsafeMutablePointer<T>) throws(SegLossError) in body(buffer) }
        } catch {
            failures.record(error)
        }
    }

    /// The bytes of `count` (≥ 0) elements of `T`, at least 1; `.allocation` on overflow.
    static func byteCount<T>(_ count: Int, of _: T.Type) throws(SegLossError) -> Int {
        let (bytes, overflow) = max(1, count).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow, count >= 0 else { throw ScratchPool.failure(bytes: count) }
        return bytes
    }

    /// A buffer of at least `bytes` bytes from `shared`; hand it back with `give`.
    static func take(_ bytes: Int) throws(SegLossError) -> UnsafeMutableRawBufferPointer { try shared.take(bytes) }

    /// Returns a buffer from `take`.
    static func give(_ buffer: UnsafeMutableRawBufferPointer) { shared.give(buffer) }

    /// Frees every buffer `shared` keeps.
    public static func releaseAll() { shared.releaseAll() }
}

/// A pool of large raw buffers (64-byte aligned). Buffers of at least `minimumBytes` go
/// back to the pool when released, up to `retainedBytes` in all (the largest are freed
/// first beyond that); a request takes the smallest pooled buffer that fits and is at
/// most four times larger, else allocates. Thread-safe (one lock, held only to pick or
/// return a buffer); a buffer's contents are never read before the taker writes them.
public final class ScratchPool: Sendable {
    /// Smaller buffers are plain allocations (the heap serves them well).
    public let minimumBytes: Int
    /// Most memory the pool keeps between uses.
    public let retainedBytes: Int

    /// A pooled buffer, as plain integers so that the pool is Sendable.
    private struct Entry: Sendable {
        var address: UInt
        var count: Int

        init(_ b: UnsafeMutableRawBufferPointer) {
            address = UInt(bitPattern: b.baseAddress)
            count = b.count
        }

        var buffer: UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: address), count: count)
        }
    }

    private let entries = Mutex<[Entry]>([])
    /// Set in a forked child: every buffer is then a plain allocation, and the lock is
    /// never taken again.
    private let bypass = Atomic<Bool>(false)

    public init(minimumBytes: Int, retainedBytes: Int) {
        self.minimumBytes = minimumBytes
        self.retainedBytes = retainedBytes
    }

    deinit { releaseAll() }

    /// Called in a forked child: stop using the lock and the pooled buffers (the parent's
    /// copies are left alone).
    func forked() { bypass.store(true, ordering: .relaxed) }

    /// A buffer of at least `bytes` bytes: pooled if one fits, else newly allocated (after
    /// freeing the pooled buffers if memory runs short). Throws `.allocation` when the
    /// memory cannot be obtained.
    public func take(_ bytes: Int) throws(SegLossError) -> UnsafeMutableRawBufferPointer {
        if bytes >= minimumBytes && !bypass.load(ordering: .relaxed) {
            let pooled = entries.withLock { list -> Entry? in
                var best: Int?
                for (i, b) in list.enumerated() where b.count >= bytes && b.count / 4 <= bytes {
                    if best.map({ b.count < list[$0].count }) ?? true { best = i }
                }
                return best.map { list.remove(at: $0) }
            }
            if let pooled { return pooled.buffer }
        }
        if let fresh = Self.allocate(bytes) { return fresh }
        releaseAll()
        if let fresh = Self.allocate(bytes) { return fresh }
        throw Self.failure(bytes: bytes)
    }

    /// `bytes` (at least 1) bytes aligned to 64, or nil; freed with `free`.
    private static func allocate(_ bytes: Int) -> UnsafeMutableRawBufferPointer? {
        var start: UnsafeMutableRawPointer?
        guard bytes >= 0, posix_memalign(&start, 64, max(1, bytes)) == 0, let start else { return nil }
        return UnsafeMutableRawBufferPointer(start: start, count: max(1, bytes))
    }

    /// The error of a request that cannot be met.
    static func failure(bytes: Int) -> SegLossError {
        SegLossError(.allocation, argument: "input", "out of memory: could not allocate \(bytes) bytes of scratch memory for an input this large")
    }

    /// Takes back a buffer from `take`: into the pool if large enough, then frees the
    /// largest pooled buffers while the pool holds more than `retainedBytes`.
    public func give(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count >= minimumBytes && !bypass.load(ordering: .relaxed) else {
            free(buffer.baseAddress)
            return
        }
        let evicted = entries.withLock { list -> [Entry] in
            list.append(Entry(buffer))
            var total = list.reduce(0) { $0 + $1.count }, out = [Entry]()
            while total > retainedBytes, let i = list.indices.max(by: { list[$0].count < list[$1].count }) {
                total -= list[i].count
                out.append(list.remove(at: i))
            }
            return out
        }
        for e in evicted { free(e.buffer.baseAddress) }
    }

    /// Bytes kept in the pool.
    public var pooledBytes: Int {
        bypass.load(ordering: .relaxed) ? 0 : entries.withLock { $0.reduce(0) { $0 + $1.count } }
    }

    /// Frees every pooled buffer (buffers in use return to the pool when given back).
    public func releaseAll() {
        guard !bypass.load(ordering: .relaxed) else { return }
        let all = entries.withLock { list -> [Entry] in
            defer { list.removeAll() }
            return list
        }
        for e in all { free(e.buffer.baseAddress) }
    }
}

/// The first allocation failure of parallel work whose bodies cannot throw (see
/// `ScratchBuffers.withBuffer(of:count:failures:_:)`); thread-safe.
final class AllocationFailures: Sendable {
    private let first = Mutex<SegLossError?>(nil)

    init() {}

    func record(_ error: SegLossError) {
        first.withLock { if $0 == nil { $0 = error } }
    }

    /// Throws the first recorded failure, if any.
    func check() throws(SegLossError) {
        if let error = first.withLock({ $0 }) { throw error }
    }
}
