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
/// digits (2048 buckets: the offset tables stay in L1), after the three histograms are
/// counted — by the entry kernel's compaction loop as it writes the items (`count`), or
/// in one pass; a pass whose digit is the same for every item is skipped. That is
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

    /// The three digit histograms of the LSD passes, `passCount · bucketCount` counts
    /// (UInt32: an entry has < 2³¹ items), zeroed.
    static func makeHistograms() -> UnsafeMutablePointer<UInt32> {
        let tables = UnsafeMutablePointer<UInt32>.allocate(capacity: passCount * bucketCount)
        tables.initialize(repeating: 0, count: passCount * bucketCount)
        return tables
    }

    /// Adds `weight` (0 or 1) to the three digit counts of `item` — called by the
    /// gathering pass as it compacts the items, which saves a pass over them.
    @inline(__always)
    static func count(_ item: UInt64, weight: UInt32, in tables: UnsafeMutablePointer<UInt32>) {
        let mask = UInt64(bucketCount - 1)
        tables[Int(truncatingIfNeeded: (item &>> 32) & mask)] &+= weight
        tables[bucketCount + Int(truncatingIfNeeded: (item &>> 43) & mask)] &+= weight
        tables[2 * bucketCount + Int(truncatingIfNeeded: (item &>> 54) & mask)] &+= weight
    }

    /// Sorts `items[0..<count]` by decreasing Float error (ascending keys, stable), using
    /// `scratch` (same capacity).
    static func sortDescending(_ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int) {
        guard count > 1 else { return }
        let tables = makeHistograms()
        defer { tables.deallocate() }
        for i in 0..<count { Self.count(items[i], weight: 1, in: tables) }
        sortDescending(items, scratch: scratch, count: count, histograms: tables)
    }

    /// As above, with the digit histograms of the items already counted (`count(_:)`);
    /// `histograms` is used up (turned into offsets).
    static func sortDescending(
        _ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int,
        histograms tables: UnsafeMutablePointer<UInt32>
    ) {
        guard count > 1 else { return }
        let mask = UInt64(bucketCount - 1)
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
                let d = Int(truncatingIfNeeded: (v &>> s) & mask)
                target[Int(table[d])] = v
                table[d] &+= 1
            }
            swap(&source, &target)
        }
        if source != items { items.update(from: source, count: count) }
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
