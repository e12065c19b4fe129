// MARK: - Sorting the errors of one Lovász entry

/// Sorts the positive errors of one (image, class) entry in decreasing order for the
/// Lovász losses.
///
/// Every item is one `UInt64`: the complemented IEEE bits of the error rounded to Float
/// in the high 32 bits (the key), a hard-label bit (bit 31) and the voxel's index inside
/// the entry (bits 0..<31). Only errors > 0 are sorted (see `LovaszEntryKernel`): their
/// sign bit is 0, so the float bits order them exactly like the errors (positive IEEE
/// floats compare like their bit patterns) and the complement reverses that order — an
/// ascending sort of the keys is the decreasing order of the errors. For Float inputs the
/// error itself is read back from the item, and with hard labels so is the label, so the
/// walk over the sorted items never looks the voxel up (only the gradient is scattered).
///
/// Algorithm: LSD radix sort on the 32 key bits in three stable scatter passes of 11-bit
/// digits (2048 buckets: the offset tables stay in L1), after one pass that fills all
/// three histograms; a pass whose digit is the same for every item is skipped. That is
/// O(n) against the O(n log n) comparisons of `argsort`, with sequential reads. Being
/// stable, it leaves equal errors in voxel order, as NumPy's stable `argsort(-e)` (the
/// gradient at ties — a subgradient — is then reproducible). Double errors use the same
/// Float key (rounding is monotone: Float(a) > Float(b) implies a > b), then runs of
/// equal keys — ties below Float resolution, rare — are put in exact order by
/// `refineRuns`.
enum LovaszSort {
    static let digitBits = 11
    static let bucketCount = 1 << digitBits
    /// Digit passes, at shifts 32 + p·digitBits.
    static let passCount = 3
    static let indexMask: UInt64 = 0x7FFF_FFFF
    /// Largest number of voxels in one entry (31-bit indices).
    static let maxEntryCount = Int(indexMask) + 1
    /// Runs up to this length are insertion-sorted by `refineRuns`.
    static let insertionLimit = 24

    /// The item of error `e` (> 0) at entry index `index` (< 2³¹); `label` marks g = 1.
    @inline(__always)
    static func item<S: SegScalar>(_ e: S, _ index: Int, label: Bool) -> UInt64 {
        UInt64(~Float(e).bitPattern) << 32 | UInt64(ElementChecks.bit(label)) << 31 | UInt64(truncatingIfNeeded: index)
    }

    /// The item of voxel `index` when `sorted` (valid, error `e` > 0), else one with key 0.
    /// A sorted item has bit 63 set (the complement of a sign bit 0), so `item >> 63` is
    /// the compaction's keep flag; branch-free, for the vectorised gathering pass.
    @inline(__always)
    static func item<S: SegScalar>(_ e: S, _ index: Int, label: Bool, sorted: Bool) -> UInt64 {
        let key = sorted ? ~Float(e).bitPattern : 0
        return UInt64(key) << 32 | UInt64(ElementChecks.bit(label)) << 31 | UInt64(truncatingIfNeeded: index)
    }

    /// The entry index of an item.
    @inline(__always)
    static func index(_ item: UInt64) -> Int { Int(truncatingIfNeeded: item & indexMask) }

    /// The hard label of an item (1 for g = 1).
    @inline(__always)
    static func label(_ item: UInt64) -> Int { Int(truncatingIfNeeded: (item >> 31) & 1) }

    /// The error as a Float (exact for Float inputs).
    @inline(__always)
    static func error(_ item: UInt64) -> Float { Float(bitPattern: ~UInt32(truncatingIfNeeded: item >> 32)) }

    /// Sorts `items[0..<count]` by decreasing Float error (ascending keys, stable), using
    /// `scratch` (same capacity).
    static func sortDescending(_ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int) {
        let sorted = sort(items, scratch: scratch, count: count)
        if sorted != items { items.update(from: sorted, count: count) }
    }

    /// Sorts the items like `sortDescending`, leaving them in `items` or in `scratch`
    /// (returned; the other buffer is then free), which saves copying them back.
    static func sort(
        _ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int
    ) -> UnsafeMutablePointer<UInt64> {
        guard count > 1 else { return items }
        let mask = UInt64(bucketCount - 1)
        // Three histograms, plus a second one for the top digit (10 bits: < 1024): that
        // digit is concentrated on a few buckets (the errors' exponents), so even and odd
        // items count into separate tables, halving the store-to-load chains on one count.
        let topBuckets = 1 << (64 - 32 - 2 * digitBits)
        let tables = UnsafeMutablePointer<UInt32>.allocate(capacity: passCount * bucketCount + topBuckets)
        defer { tables.deallocate() }
        tables.initialize(repeating: 0, count: passCount * bucketCount + topBuckets)
        let t0 = tables, t1 = tables + bucketCount, t2 = tables + 2 * bucketCount, t3 = tables + 3 * bucketCount
        @inline(__always) func digit(_ v: UInt64, _ shift: UInt64) -> Int {
            Int(truncatingIfNeeded: (v &>> shift) & mask)
        }
        var i = 0
        while i + 1 < count {
            let v = items[i], w = items[i &+ 1]
            t0[digit(v, 32)] &+= 1
            t1[digit(v, 43)] &+= 1
            t2[digit(v, 54)] &+= 1
            t0[digit(w, 32)] &+= 1
            t1[digit(w, 43)] &+= 1
            t3[digit(w, 54)] &+= 1
            i &+= 2
        }
        if i < count {
            let v = items[i]
            t0[digit(v, 32)] &+= 1
            t1[digit(v, 43)] &+= 1
            t2[digit(v, 54)] &+= 1
        }
        for d in 0..<topBuckets { t2[d] &+= t3[d] }

        var source = items, target = scratch
        for p in 0..<passCount {
            let table = tables + p * bucketCount
            // Exclusive prefix sums; a digit shared by every item needs no pass.
            var sum: UInt32 = 0, single = false
            for d in 0..<bucketCount {
                let c = table[d]
                if Int(c) == count { single = true }
                table[d] = sum
                sum &+= c
            }
            if single { continue }
            let s = UInt64(32 + p * digitBits)
            for i in 0..<count {
                let v = source[i]
                let d = digit(v, s)
                target[Int(table[d])] = v
                table[d] &+= 1
            }
            swap(&source, &target)
        }
        return source
    }

    /// Sorts every run of items with equal Float keys by the exact order `less` ("comes
    /// first": larger exact error, then smaller index).
    static func refineRuns(_ items: UnsafeMutablePointer<UInt64>, count: Int, less: (UInt64, UInt64) -> Bool) {
        var start = 0
        while start < count {
            let key = items[start] >> 32
            var end = start + 1
            while end < count && items[end] >> 32 == key { end += 1 }
            let length = end - start
            if length > insertionLimit {
                var run = UnsafeMutableBufferPointer(start: items + start, count: length)
                run.sort(by: less)
            } else if length > 1 {
                for i in (start + 1)..<end {
                    let v = items[i]
                    var j = i
                    while j > start && less(v, items[j - 1]) {
                        items[j] = items[j - 1]
                        j -= 1
                    }
                    items[j] = v
                }
            }
            start = end
        }
    }
}
