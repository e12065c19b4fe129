import Testing
@testable import SemSegTraining

/// `SubnormalFlush`: subnormal results are zero inside the block, and the thread's mode is
/// restored after it.
@Suite("Subnormals flushed to zero while the trainer computes")
struct SubnormalFlushTests {
    /// x / 1024 with x read through memory, so that the compiler cannot fold it.
    @inline(never)
    func divide(_ values: [Float]) -> Float { values[0] / 1024 }

    @Test("flushed inside the block, subnormal again after it")
    func flushAndRestore() {
        let tiny = [Float.leastNormalMagnitude]
        let before = divide(tiny)
        #expect(before > 0 && before.isSubnormal)
        #if arch(x86_64) || arch(arm64)
        let inside = SubnormalFlush.run { divide(tiny) }
        #expect(inside == 0)
        #endif
        let after = divide(tiny)
        #expect(after == before)
    }

    @Test("every worker of a parallel section flushes; the caller's mode is unchanged after")
    func parallelSection() throws {
        let context = try ComputeContext<Float>(threads: 3, parameterCount: 4)
        var results = [Float](repeating: -1, count: 3)
        let tiny = [Float.leastNormalMagnitude]
        results.withUnsafeMutableBufferPointer { r in
            let out = r.baseAddress!
            context.run { w in out[w] = divide(tiny) }
        }
        #if arch(x86_64) || arch(arm64)
        #expect(results == [0, 0, 0])
        #endif
        #expect(divide(tiny).isSubnormal)
    }
}
