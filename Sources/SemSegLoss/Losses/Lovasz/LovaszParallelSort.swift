// MARK: - Sorting a large Lovász entry on all threads

extension LovaszSort {
    /// A run of items in a buffer: `buffer[start ..< start + count]`.
    struct Segment: Sendable, Equatable {
        var start: Int
        var count: Int
    }

    /// Items per part of the passes after the first (whose parts are the given segments).
    static let sortPart = 1 << 16

    /// Sorts the items held in `segments` of `source` (gaps between them allowed; the
    /// items in segment order are the input order) like `sort`: by ascending key, ties in
    /// input order. The result is contiguous from 0 in `source` or `other` (returned);
    /// `other` holds the total count, and both buffers are overwritten.
    ///
    /// Parallel LSD radix sort on the exact key offset key − low (`keys` is the items' key
    /// range), in ⌈b/11⌉ passes of ⌈b/passes⌉-bit digits for a b-bit range (three 11-bit
    /// passes at most), so no fix-up is needed. Each pass counts the digits of every part
    /// in parallel, turns the counts into per-part bucket offsets (bucket-major, then part
    /// order, which keeps the sort stable) and scatters the parts in parallel. On the
    /// 2²⁰ absolute errors of a pooled 16×1×256×256 batch, the 2-pass coarse sort of
    /// `sort` spent more time in its fix-up (runs of equal coarse keys are common at that
    /// size) than a third pass costs. From `topDigitFrom` items, when the keys span more
    /// than one digit, `sortByTopDigit` (one pass by the top digit, then each bucket in
    /// L2) does the sort instead, unless the keys are too bunched for it.
    static func sortSegments(
        _ source: UnsafeMutablePointer<UInt64>, segments: [Segment], other: UnsafeMutablePointer<UInt64>,
        keys: KeyRange
    ) -> UnsafeMutablePointer<UInt64> {
        let count = segments.reduce(0) { $0 + $1.count }
        let bits = 32 - (keys.high &- keys.low).leadingZeroBitCount
        if bits > digitBits,
           let sorted = sortByTopDigit(source, segments: segments, other: other, keys: keys, count: count, bits: bits) {
            return sorted
        }
        let passes = max(1, (bits + digitBits - 1) / digitBits)
        let width = max(1, (bits + passes - 1) / passes)
        let buckets = 1 << width, mask = UInt32(buckets - 1), low = keys.low
        var from = source, to = other
        var parts = segments
        for pass in 0..<passes {
            let shift = UInt32(pass * width)
            @inline(__always) func digit(_ v: UInt64) -> Int {
                Int(truncatingIfNeeded: ((UInt32(truncatingIfNeeded: v &>> 32) &- low) &>> shift) & mask)
            }
            let tables = UnsafeMutablePointer<UInt32>.allocate(capacity: parts.count * buckets)
            defer { tables.deallocate() }
            tables.initialize(repeating: 0, count: parts.count * buckets)
            let src = from, dst = to
            parts.withUnsafeBufferPointer { pb in
                let segs = pb.baseAddress!
                Parallel.forEachChunk(pb.count, work: count &* 4) { s in
                    let table = tables + s &* buckets, items = src + segs[s].start
                    for i in 0..<segs[s].count { table[digit(items[i])] &+= 1 }
                }
                var sum: UInt32 = 0
                for d in 0..<buckets {
                    for s in 0..<pb.count {
                        let c = tables[s &* buckets &+ d]
                        tables[s &* buckets &+ d] = sum
                        sum &+= c
                    }
                }
                Parallel.forEachChunk(pb.count, work: count &* 8) { s in
                    let table = tables + s &* buckets, items = src + segs[s].start
                    for i in 0..<segs[s].count {
                        let v = items[i], d = digit(v)
                        dst[Int(truncatingIfNeeded: table[d])] = v
                        table[d] &+= 1
                    }
                }
            }
            swap(&from, &to)
            parts = stride(from: 0, to: count, by: sortPart).map { Segment(start: $0, count: min(sortPart, count - $0)) }
        }
        return from
    }
}
