// MARK: - Restoring the exact order after the coarse passes

extension LovaszSort {
    /// Puts items ordered by coarse key (stable) in exact order by (key, index): every
    /// inversion (`inversions`) lies inside a run of equal coarse keys (the coarse key is
    /// monotone in the key); that run is sorted (`sortRun(around:)`), and the scan goes
    /// on after it.
    static func fixUp(_ items: UnsafeMutablePointer<UInt64>, count: Int, coarse: CoarseKey) {
        var k = 1
        while k < count {
            let n = min(64, count &- k)
            var found = inversions(items, at: k, count: n), next = k &+ n
            // After a run is sorted the bits past its end still hold (they compare items
            // the sort did not move; the one at its end compares two coarse keys, so it is
            // 0): the scan goes on from them instead of comparing the 64 again.
            while found != 0 {
                let end = sortRun(around: k &+ found.trailingZeroBitCount, items, count: count, coarse: coarse).upperBound
                let done = end &- k
                if done >= n {
                    next = end
                    break
                }
                found &= ~UInt64(0) &<< UInt64(done)
            }
            k = next
        }
    }

    /// Bit j (j < n ≤ 64) is set when items[k + j] comes before items[k + j − 1] in
    /// (key, index) order (k ≥ 1). For n = 64 the comparisons are vectorised (no branch
    /// per item; with AVX2 `LovaszItemLoops.inversionsAVX2`).
    @inline(__always)
    private static func inversions(_ items: UnsafePointer<UInt64>, at k: Int, count n: Int) -> UInt64 {
        #if SEMSEG_AVX2 && arch(x86_64)
        if n == 64 { return LovaszItemLoops.inversionsAVX2(items + k) }
        #endif
        var found: UInt64 = 0
        @inline(__always) func bit(_ j: Int) -> UInt64 {
            let inverted = items[k &+ j] & orderMask < items[k &+ j &- 1] & orderMask
            return UInt64(inverted ? 1 : 0) &<< UInt64(j)
        }
        if n == 64 {
            for j in 0..<64 { found |= bit(j) }
        } else {
            for j in 0..<n { found |= bit(j) }
        }
        return found
    }

    /// Sorts (by key, then index) the run of equal coarse keys that holds items k − 1 and
    /// k (an inversion: they have the same coarse key); returns the run's positions.
    private static func sortRun(
        around k: Int, _ items: UnsafeMutablePointer<UInt64>, count: Int, coarse: CoarseKey
    ) -> Range<Int> {
        let c = coarse(items[k])
        var lo = k &- 1, hi = k &+ 1
        while lo > 0 && coarse(items[lo &- 1]) == c { lo &-= 1 }
        while hi < count && coarse(items[hi]) == c { hi &+= 1 }
        orderRun(items + lo, count: hi &- lo) { $0 & orderMask < $1 & orderMask }
        return lo..<hi
    }

    /// Sorts `items[0..<count]` by `less`: insertion sort up to `insertionLimit` items,
    /// the standard sort above.
    static func orderRun(_ items: UnsafeMutablePointer<UInt64>, count: Int, less: (UInt64, UInt64) -> Bool) {
        if count > insertionLimit {
            var run = UnsafeMutableBufferPointer(start: items, count: count)
            run.sort(by: less)
            return
        }
        for i in 1..<max(1, count) {
            let v = items[i]
            var j = i
            while j > 0 && less(v, items[j &- 1]) {
                items[j] = items[j &- 1]
                j &-= 1
            }
            items[j] = v
        }
    }

    /// Sorts every run of items with equal Float keys by the exact order `less` ("comes
    /// first": larger exact error, then smaller index).
    static func refineRuns(_ items: UnsafeMutablePointer<UInt64>, count: Int, less: (UInt64, UInt64) -> Bool) {
        var start = 0
        while start < count {
            let key = items[start] >> 32
            var end = start + 1
            while end < count && items[end] >> 32 == key { end += 1 }
            if end - start > 1 { orderRun(items + start, count: end - start, less: less) }
            start = end
        }
    }
}
