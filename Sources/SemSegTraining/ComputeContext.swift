import Dispatch
import SemSegLoss

// MARK: - Workers and their scratch memory

/// Elements of one im2col chunk (per worker); 256 Ki floats = 1 MiB stays in a 2 MiB L2.
let columnChunkTarget = 1 << 18

/// The threads and preallocated scratch memory a model computes with.
///
/// - `threads` workers run the parallel sections; worker `i` always gets part `i` of each
///   static partition (`partition(_:parts:index:)`), so results are bitwise reproducible
///   for a given thread count. OpenBLAS runs single-threaded inside each worker.
/// - `scratch[i]`: worker `i`'s im2col / pixel-shuffle buffer, grown (never shrunk) on
///   the calling thread before a parallel section, so steady-state training allocates
///   nothing.
/// - `gradients[i]`: worker `i`'s partial parameter gradient; `reduceGradients()` sums
///   them in worker order into `gradients[0]`.
///
/// A context is not thread-safe: one model (and its context) per calling thread.
public final class ComputeContext<Scalar: TrainScalar>: @unchecked Sendable {
    public let threads: Int
    private(set) var scratch: [Buffer<Scalar>]
    private(set) var gradients: [Buffer<Scalar>]
    /// Shared (read-only inside parallel sections) buffer, e.g. 180°-rotated weights.
    private(set) var shared: Buffer<Scalar>
    /// Length of each worker's gradient buffer.
    public let parameterCount: Int

    /// `threads <= 0` means one worker per online processor.
    public init(threads: Int, parameterCount: Int) throws(SegLossError) {
        _ = OpenBLASSetup.singleThreaded
        let online = Int(ProcessorCount.online)
        guard threads <= 4096 else { throw .value("threads", "must be at most 4096, got \(threads)") }
        self.threads = threads <= 0 ? max(1, online) : threads
        self.parameterCount = parameterCount
        var s: [Buffer<Scalar>] = []
        for _ in 0..<self.threads { s.append(try Buffer(count: 1)) }
        scratch = s
        gradients = []
        shared = try Buffer(count: 1)
    }

    // MARK: Scratch management (calling thread only)

    /// Ensures every worker's scratch holds at least `elements` values.
    func reserveScratch(_ elements: Int) throws(SegLossError) {
        guard scratch[0].count < elements else { return }
        for i in 0..<threads { scratch[i] = try Buffer(count: elements) }
    }

    /// Ensures the shared buffer holds at least `elements` values.
    func reserveShared(_ elements: Int) throws(SegLossError) {
        guard shared.count < elements else { return }
        shared = try Buffer(count: elements)
    }

    /// Allocates the per-worker gradient buffers (once, on first use). Layers'
    /// `backward` methods accumulate into them; a caller driving layers directly calls
    /// `reserveGradients()`, `zeroGradients()`, the backward passes, `reduceGradients()`
    /// and reads `gradient`.
    public func reserveGradients() throws(SegLossError) {
        guard gradients.isEmpty else { return }
        var g: [Buffer<Scalar>] = []
        for _ in 0..<threads { g.append(try Buffer(count: parameterCount, argument: "parameters")) }
        gradients = g
    }

    // MARK: Parallel sections

    /// Runs `body(worker)` for every worker index, concurrently when `threads > 1`, with
    /// subnormal results flushed to zero on every worker (`SubnormalFlush`).
    func run(_ body: (Int) -> Void) {
        if threads == 1 { SubnormalFlush.run { body(0) }; return }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: threads) { w in SubnormalFlush.run { work(w) } }
        }
    }

    /// Zeroes every worker's gradient buffer (in parallel).
    public func zeroGradients() {
        run { w in gradients[w].zero() }
    }

    /// `gradients[0] ← Σ_w gradients[w]`, summed in worker order for every element.
    public func reduceGradients() {
        guard threads > 1 else { return }
        let count = parameterCount, t = threads
        run { w in
            let range = partition(count, parts: t, index: w)
            let g0 = gradients[0].pointer
            for j in 1..<t {
                let gj = gradients[j].pointer
                for i in range { g0[i] += gj[i] }
            }
        }
    }

    /// The reduced parameter gradient (valid after `reduceGradients()`).
    public var gradient: UnsafeMutablePointer<Scalar> { gradients[0].pointer }
}

// MARK: - Processor count without Foundation

enum ProcessorCount {
    static let online: Int = {
        #if canImport(Glibc)
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? Int(n) : 1
        #else
        return 1
        #endif
    }()
}

#if canImport(Glibc)
import Glibc
#endif
