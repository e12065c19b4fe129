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
    func reuse() throws {
        let pool = ScratchPool(minimumBytes: Self.minimum, retainedBytes: 1 << 22)
        let bytes = Self.minimum * 2
        let first = try pool.take(bytes)
        pool.give(first)
        #expect(pool.pooledBytes == bytes)
        let second = try pool.take(bytes - 64)  // fits: the same buffer
        #expect(second.baseAddress == first.baseAddress)
        #expect(pool.pooledBytes == 0)
        pool.give(second)
        pool.give(try pool.take(100))
        #expect(pool.pooledBytes == bytes)
        pool.releaseAll()
        #expect(pool.pooledBytes == 0)
    }

    @Test("a pooled buffer more than four times too large is not taken")
    func sizeRule() throws {
        let pool = ScratchPool(minimumBytes: Self.minimum, retainedBytes: 1 << 22)
        let large = try pool.take(Self.minimum * 8)
        pool.give(large)
        let small = try pool.take(Self.minimum)
        #expect(small.baseAddress != large.baseAddress && small.count == Self.minimum)
        pool.give(small)
        let middle = try pool.take(Self.minimum * 3)  // 8 ≤ 4·3: the large one
        #expect(middle.baseAddress == large.baseAddress)
        pool.give(middle)
    }

    @Test("the pool keeps at most retainedBytes, freeing the largest first")
    func retention() throws {
        let pool = ScratchPool(minimumBytes: Self.minimum, retainedBytes: 1 << 20)
        let big = try pool.take((1 << 20) - Self.minimum)
        let other = try pool.take(Self.minimum * 2)
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
            guard let raw = try? pool.take(count * 8) else {
                failures.withLock { $0 += 1 }
                return
            }
            let p = raw.baseAddress!.bindMemory(to: UInt64.self, capacity: count)
            for i in 0..<count { p[i] = UInt64(k &* 1_000_003 &+ i) }
            usleep(200)
            if (0..<count).contains(where: { p[$0] != UInt64(k &* 1_000_003 &+ $0) }) { failures.withLock { $0 += 1 } }
            pool.give(raw)
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(pool.pooledBytes <= 1 << 22 && pool.pooledBytes > 0)
    }

    @Test("memory that cannot be had is an allocation error, not a trap")
    func allocationFailure() {
        let pool = ScratchPool(minimumBytes: Self.minimum, retainedBytes: 1 << 22)
        pool.give(try! pool.take(Self.minimum))
        let error = thrownError { _ = try pool.take(Int.max / 2) }
        #expect(error?.kind == .allocation && error?.argument == "input")
        #expect(pool.pooledBytes == 0, "the pooled buffers are released before giving up")
        // an element count whose byte count overflows
        #expect(thrownError { _ = try ScratchBuffers.withBuffer(of: UInt64.self, count: Int.max / 4) { _ in 0 } }?.kind == .allocation)
        // inside parallel work: the body is skipped and the failure kept for the caller
        let failures = AllocationFailures()
        var ran = false
        ScratchBuffers.withBuffer(of: UInt8.self, count: Int.max / 2, failures: failures) { _ in ran = true }
        #expect(!ran && thrownError { try failures.check() }?.kind == .allocation)
        let none = AllocationFailures()
        ScratchBuffers.withBuffer(of: UInt8.self, count: 16, failures: none) { _ in ran = true }
        #expect(ran && thrownError { try none.check() } == nil)
    }
}
