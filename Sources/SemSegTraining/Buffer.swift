import SemSegLoss
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Owned, aligned buffers

/// A fixed-size, 64-byte aligned heap buffer. Allocation goes through `posix_memalign`
/// so that an impossible request throws `SegLossError` (`.allocation`) instead of
/// trapping as `UnsafeMutablePointer.allocate` would.
public final class Buffer<Element>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Element>
    public let count: Int

    /// Allocates `count` elements (at least one), zero-filled.
    public init(count: Int, argument: String = "workspace") throws(SegLossError) {
        let n = max(1, count)
        let (bytes, overflow) = n.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard count >= 0, !overflow else {
            throw SegLossError(.allocation, argument: argument, "cannot allocate \(count) elements")
        }
        var raw: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw SegLossError(.allocation, argument: argument, "out of memory allocating \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        pointer = raw.bindMemory(to: Element.self, capacity: n)
        self.count = count
    }

    deinit { free(UnsafeMutableRawPointer(pointer)) }

    public var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// Sets every element's bytes to zero.
    public func zero() { memset(UnsafeMutableRawPointer(pointer), 0, count * MemoryLayout<Element>.stride) }
}

// MARK: - Checked size arithmetic

enum Checked {
    /// Product of `factors`, throwing `.shape` for `argument` on overflow or when the
    /// result exceeds `limit` (default: what BLAS's 32-bit sizes can index).
    static func product(_ factors: [Int], argument: String, limit: Int = Int(Int32.max)) throws(SegLossError) -> Int {
        var p = 1
        for f in factors {
            guard f >= 0 else { throw .shape(argument, "sizes must be non-negative, got \(f)") }
            let (q, o) = p.multipliedReportingOverflow(by: f)
            guard !o, q <= limit else {
                throw .shape(argument, "size \(factors.map(String.init).joined(separator: " x ")) is too large (limit \(limit) elements)")
            }
            p = q
        }
        return p
    }
}
