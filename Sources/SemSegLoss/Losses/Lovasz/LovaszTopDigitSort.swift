// MARK: - Sorting a large Lovász entry by its top digit first

extension LovaszSort {
    /// Fewest items for which `sortSegments` splits by the top digit first: every entry
    /// too large for the coarse sort (`exactPassesAbove`). From 2¹⁸ items (2 MB, and as
    /// much again for the other buffer) the items no longer fit in a core's L2, and every
    /// exact LSD pass over them went through the L3. Below, the buckets (~2⁸–2¹⁰ items)
    /// sort in L1 and the passes over the whole entry drop from three to one: on entries
    /// of 80 000–230 000 items (multiclass Lovász-softmax on 8×4×100² … 8×4×170², the
    /// pooled losses on 2–3×1×256×256) 1.12–1.37× faster than from 2¹⁸ (in-process A/B,
    /// same results).
    static let topDigitFrom = exactPassesAbove + 1
    /// Largest bucket `sortByTopDigit` sorts on one thread (1 MB of items); a larger one
    /// sends the whole sort to the LSD passes.
    static let topDigitBucketLimit = 1 << 17
    /// Buckets up to this size are insertion-sorted.
    static let topDigitInsertionLimit = 32

    /// `sortSegments` for at least `topDigitFrom` items whose keys span `bits` > 11 bits:
    /// one parallel pass scatters the items by the top t bits of key − low (t = 8 below
    /// 2²⁰ items, 9 from 2²⁰, up to 11, so that buckets average 2¹¹–2¹² items; on the 2²⁰
    /// items below, t = 8 timed the same and t = 11 4 % slower) into `other`, stable, with
    /// per-part bucket offsets as in `sortSegments`; then every bucket, a contiguous run
    /// that fits in L2, is sorted on its own by the remaining bits (exact LSD passes, or
    /// insertion sort for a small bucket), the buckets spread over the threads. Stable at
    /// each step, so the order is the same as `sortSegments`' (ascending key, ties in
    /// input order). On the 2²⁰ absolute errors of binary Lovász-softmax pooled over
    /// 16×1×256×256, this replaces three passes through the L3 by one.
    ///
    /// A bucket's two LSD passes (the usual case: 12–22 remaining bits) count both digits
    /// in one loop (`sortTwoDigits`) and bounce through a buffer of the thread's group of
    /// buckets, reused from bucket to bucket, so they stay in L2 instead of going through
    /// the bucket's cold place in `source`. On that batch (alternating processes,
    /// 2026-12-06) the buffer made binary Lovász-softmax 8.5 % faster and the single
    /// counting loop another 4.8 % (multiclass on 8×4×128×128: 2 % and 3.7 %); the
    /// order and every result are the same bit for bit.
    ///
    /// Returns nil without moving anything when a bucket would exceed
    /// `topDigitBucketLimit` items (keys bunched in a narrow range), or when there are
    /// too few items.
    static func sortByTopDigit(
        _ source: UnsafeMutablePointer<UInt64>, segments: [Segment], other: UnsafeMutablePointer<UInt64>,
        keys: KeyRange, count: Int, bits: Int
    ) -> UnsafeMutablePointer<UInt64>? {
        guard count >= topDigitFrom, bits > digitBits else { return nil }
        let logCount = Int.bitWidth - count.leadingZeroBitCount
        let topBits = min(digitBits, max(8, logCount - 12))
        let rest = bits - topBits, buckets = 1 << topBits
        // More items than the buckets can hold under the limit: some bucket exceeds it.
        guard count <= buckets * topDigitBucketLimit else { return nil }
        let low = keys.low, restShift = UInt32(rest)
        @inline(__always) func top(_ v: UInt64) -> Int {
            Int(truncatingIfNeeded: (UInt32(truncatingIfNeeded: v &>> 32) &- low) &>> restShift)
        }
        let parts = segments.count
        // Offsets below count < 2³¹ (`maxEntryCount`): UInt32, as in `sortSegments`.
        let tables = UnsafeMutablePointer<UInt32>.allocate(capacity: parts * buckets)
        defer { tables.deallocate() }
        tables.initialize(repeating: 0, count: parts * buckets)
        var starts = [Int](repeating: 0, count: buckets + 1)
        let fits: Bool = segments.withUnsafeBufferPointer { pb in
            let segs = pb.baseAddress!
            Parallel.forEachChunk(parts, work: count &* 4) { s in
                let table = tables + s &* buckets, items = source + segs[s].start
                for i in 0..<segs[s].count { table[top(items[i])] &+= 1 }
            }
            // Bucket-major, then part order: stable. `starts[b]` is where bucket b begins.
            var sum = 0, largest = 0
            for b in 0..<buckets {
                starts[b] = sum
                for s in 0..<parts {
                    let c = Int(tables[s &* buckets &+ b])
                    tables[s &* buckets &+ b] = UInt32(truncatingIfNeeded: sum)
                    sum &+= c
                }
                largest = max(largest, sum - starts[b])
            }
            starts[buckets] = sum
            guard largest <= topDigitBucketLimit else { return false }
            Parallel.forEachChunk(parts, work: count &* 8) { s in
                let table = tables + s &* buckets, items = source + segs[s].start
                for i in 0..<segs[s].count {
                    let v = items[i], b = top(v)
                    other[Int(truncatingIfNeeded: table[b])] = v
                    table[b] &+= 1
                }
            }
            return true
        }
        guard fits else { return nil }
        // Each bucket by the low `rest` bits: the same number of passes for all, so all
        // end in the same buffer (`other` after an even number, `source` after an odd one).
        let passes = (rest + digitBits - 1) / digitBits
        let width = passes == 0 ? 0 : (rest + passes - 1) / passes
        let groups = min(buckets, 16 * Parallel.workerCount)
        // Group g sorts buckets bounds[g] ..< bounds[g + 1], about count/groups items.
        var bounds = [Int](repeating: buckets, count: groups + 1)
        bounds[0] = 0
        var g = 1
        for b in 0..<buckets where g < groups && starts[b] >= g * count / groups {
            bounds[g] = b
            g += 1
        }
        bounds.withUnsafeBufferPointer { bb in
            starts.withUnsafeBufferPointer { sb in
                let bound = bb.baseAddress!, start = sb.baseAddress!
                Parallel.forEachChunk(groups, work: count &* 8) { g in
                    let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 3 << width)
                    defer { table.deallocate() }
                    let range = bound[g]..<max(bound[g], bound[g + 1])
                    // With an even number of passes the sorted bucket ends where it is, so
                    // the passes can bounce through a buffer of the group's own, reused
                    // from bucket to bucket and hot in L2, instead of the bucket's cold
                    // place in `source` (read for ownership from memory, then written back).
                    var largest = 0
                    if passes % 2 == 0 { for b in range { largest = max(largest, start[b + 1] - start[b]) } }
                    let hot = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, largest))
                    defer { hot.deallocate() }
                    for b in range {
                        let lo = start[b], n = start[b + 1] - lo
                        sortLowBits(other + lo, scratch: largest > 0 ? hot : source + lo, count: n, low: low,
                                    passes: passes, width: width, table: table)
                    }
                }
            }
        }
        return passes % 2 == 0 ? other : source
    }

    /// Sorts `items[0..<count]` (ascending key, stable) by the key offset's low
    /// `passes`·`width` bits in `passes` LSD passes between `items` and `scratch`, so the
    /// result ends in `items` for an even number of passes and in `scratch` for an odd one
    /// (a small run is insertion-sorted by key in `items`, then copied when needed).
    /// `table` holds 3·2^`width` counts (`sortTwoDigits`).
    private static func sortLowBits(
        _ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int, low: UInt32,
        passes: Int, width: Int, table: UnsafeMutablePointer<UInt32>
    ) {
        guard count > 0 else { return }
        if count <= topDigitInsertionLimit || passes == 0 {
            for i in 1..<max(1, count) {
                let v = items[i], key = v &>> 32
                var j = i
                while j > 0 && key < items[j &- 1] &>> 32 {
                    items[j] = items[j &- 1]
                    j &-= 1
                }
                items[j] = v
            }
            if passes % 2 == 1 { scratch.update(from: items, count: count) }
            return
        }
        let size = 1 << width, mask = UInt32(size - 1)
        if passes == 2 {
            sortTwoDigits(items, scratch: scratch, count: count, low: low, width: width, tables: table)
            return
        }
        var from = items, to = scratch
        for pass in 0..<passes {
            let shift = UInt32(pass * width)
            @inline(__always) func digit(_ v: UInt64) -> Int {
                Int(truncatingIfNeeded: ((UInt32(truncatingIfNeeded: v &>> 32) &- low) &>> shift) & mask)
            }
            table.initialize(repeating: 0, count: size)
            for i in 0..<count { table[digit(from[i])] &+= 1 }
            var sum: UInt32 = 0
            for d in 0..<size {
                let c = table[d]
                table[d] = sum
                sum &+= c
            }
            for i in 0..<count {
                let v = from[i], d = digit(v)
                to[Int(truncatingIfNeeded: table[d])] = v
                table[d] &+= 1
            }
            swap(&from, &to)
        }
    }

    /// `sortLowBits` for two passes: one counting loop fills both digits' tables (instead
    /// of one loop per pass), then the two scatter passes, from `items` to `scratch` and
    /// back. As in `sortCoarse`, the high digit is counted in two tables (even and odd
    /// items, added up after), so that neighbours with equal high digits do not chain
    /// their stores and loads on one count. `tables` holds 3·2^`width` counts.
    private static func sortTwoDigits(
        _ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int, low: UInt32,
        width: Int, tables: UnsafeMutablePointer<UInt32>
    ) {
        let size = 1 << width, mask = UInt32(size - 1), bits = UInt32(width)
        let t0 = tables, t1 = tables + size, t2 = tables + 2 &* size
        tables.initialize(repeating: 0, count: 3 &* size)
        @inline(__always) func offset(_ v: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: v &>> 32) &- low }
        @inline(__always) func digit(_ o: UInt32, _ p: Int) -> Int {
            Int(truncatingIfNeeded: (p == 0 ? o : o &>> bits) & mask)
        }
        var i = 0
        while i + 1 < count {
            let a = offset(items[i]), b = offset(items[i &+ 1])
            t0[digit(a, 0)] &+= 1
            t1[digit(a, 1)] &+= 1
            t0[digit(b, 0)] &+= 1
            t2[digit(b, 1)] &+= 1
            i &+= 2
        }
        if i < count {
            let a = offset(items[i])
            t0[digit(a, 0)] &+= 1
            t1[digit(a, 1)] &+= 1
        }
        var sum0: UInt32 = 0, sum1: UInt32 = 0
        for d in 0..<size {
            let c0 = t0[d], c1 = t1[d] &+ t2[d]
            t0[d] = sum0
            t1[d] = sum1
            sum0 &+= c0
            sum1 &+= c1
        }
        for i in 0..<count {
            let v = items[i], d = digit(offset(v), 0)
            scratch[Int(truncatingIfNeeded: t0[d])] = v
            t0[d] &+= 1
        }
        for i in 0..<count {
            let v = scratch[i], d = digit(offset(v), 1)
            items[Int(truncatingIfNeeded: t1[d])] = v
            t1[d] &+= 1
        }
    }
}
