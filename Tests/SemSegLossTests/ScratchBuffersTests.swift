import Foundation
import Synchronization
import Testing
@testable import SemSegLoss

/// `ScratchPool` (behind `ScratchBuffers.shared`): pooled reuse of large buffers, the size
/// rule, the retention limit, and concurrent use. Each test has its own pool, so other
/// suites using the shared one cannot interfere.
@Suite("Scratch buffers kept between calls")
struct ScratchBuffersTests {
    static let minimum = 1 << 16

    @Test("a released large buffer is reused; small ones are not pooled")
    func reuse() {
        let pool = ScratchPool(minimumBytes: Self.minimum, retainedBytes: 1 << 22)
        let bytes = Self.minimum * 2
        let first = pool.take(bytes)
        pool.give(first)
        #expect(pool.pooledBytes == bytes)
        let second = pool.take(bytes - 64)  // fits: the same buffer
        #expect(second.baseAddress == first.baseAddress)
        #expect(pool.pooledBytes == 0)
        pool.give(second)
        pool.give(pool.take(100))
        #expect(pool.pooledBytes == bytes)
        pool.releaseAll()
        #expect(pool.pooledBytes == 0)
    }

    @Test("a pooled buffer more than four times too large is not taken")
    func sizeRule() {
        let pool = ScratchPool(minimumBytes: Self.minimum, retainedBytes: 1 << 22)
        let large = pool.take(Self.minimum * 8)
        pool.give(large)
        let small = pool.take(Self.minimum)
        #expect(small.baseAddress != large.baseAddress && small.count == Self.minimum)
        pool.give(small)
        let middle = pool.take(Self.minimum * 3)  // 8 ≤ 4·3: the large one
        #expect(middle.baseAddress == large.baseAddress)
        pool.give(middle)
    }

    @Test("the pool keeps at most retainedBytes, freeing the largest first")
    func retention() {
        let pool = ScratchPool(minimumBytes: Self.minimum, retainedBytes: 1 << 20)
        let big = pool.take((1 << 20) - Self.minimum)
        let other = pool.take(Self.minimum * 2)
        pool.give(other)
        pool.give(big)  // over the limit: `big`, the largest, is freed
        #expect(pool.pooledBytes == Self.minimum * 2)
    }

    @Test("concurrent users get distinct buffers and see their own contents")
    func concurrent() {
        let pool = ScratchPool(minimumBytes: Self.minimum, retainedBytes: 1 << 22)
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 64) { k in
            let count = Self.minimum / 8 + k * 1000
            let raw = pool.take(count * 8)
            let p = raw.baseAddress!.bindMemory(to: UInt64.self, capacity: count)
            for i in 0..<count { p[i] = UInt64(k &* 1_000_003 &+ i) }
            usleep(200)
            if (0..<count).contains(where: { p[$0] != UInt64(k &* 1_000_003 &+ $0) }) { failures.withLock { $0 += 1 } }
            pool.give(raw)
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(pool.pooledBytes <= 1 << 22 && pool.pooledBytes > 0)
    }
}
