// MARK: - Sorting the errors of one Lovász entry

/// Sorts the positive errors of one (image, class) entry in decreasing order for the
/// Lovász losses.
///
/// Every item is one `UInt64`: the complemented IEEE bits of the error rounded to Float
/// in the high 32 bits (the key), a hard-label bit (bit 31) and the voxel's index in the
/// entry (bits 0..<31: its offset from the entry's first voxel, see `LovaszRows`). Only errors > 0 are sorted (see `LovaszEntryKernel`): their
/// sign bit is 0, so the float bits order them exactly like the errors (positive IEEE
/// floats compare like their bit patterns) and the complement reverses that order — an
/// ascending sort of the keys is the decreasing order of the errors. For Float inputs the
/// error itself is read back from the item, and with hard labels so is the label, so the
/// walk over the sorted items never looks the voxel up (only the gradient is scattered).
///
/// Algorithm: LSD radix sort in two stable scatter passes of b-bit digits on a 2b-bit
/// coarse key, after one pass that fills both histograms, then an exact fix-up; b = 11
/// (2048 buckets: the offset tables stay in L1), or 12 above `wideDigitsAbove` items
/// (`coarseDigitBits`). The coarse key is c = (key − low) >> s,
/// with [low, high] the range of the keys and s = max(0, width(high − low) − 2b); it is
/// monotone in the key, so after the two passes the items are ordered by c, and within a
/// run of equal c by voxel index (stability). Keys are IEEE bit patterns (logarithmic),
/// so even the widest range (s = 9 for b = 11: positive floats span < 2³¹ keys) leaves
/// 2¹⁴ coarse buckets per binade: runs are
/// short, and the fix-up — one sequential pass comparing neighbours 64 at a time into
/// a bit mask, and a sort of the rare runs holding an inversion (insertion sort, or the
/// standard sort above `insertionLimit` items) — restores the exact order by (key,
/// index). On the hinge's errors of a 256x256 image (keys spanning ~2²⁸; ~2% of the
/// items in a run with an inversion) the sort takes ~25% less time than three 11-bit
/// passes on the whole key. A pass whose digit is the same for every item is skipped.
/// Above `exactPassesAbove` items, and for an entry split over the threads, the sort
/// goes to `sortSegments` instead: one pass by the top digit and each bucket on its own
/// (`sortByTopDigit`), or exact passes (up to three, no fix-up). Up to `insertionLimit`
/// items are insertion-sorted: the passes' fixed cost (two tables of 2048 counts to clear
/// and add up) made a 16×1×4×4 hinge take 75 µs instead of 20.
///
/// That is O(n) against the O(n log n) comparisons of `argsort`, with sequential reads.
/// Equal errors stay in voxel order, as NumPy's stable `argsort(-e)` (the gradient at
/// ties — a subgradient — is then reproducible). Double errors use the same Float key
/// (rounding is monotone: Float(a) > Float(b) implies a > b), then runs of equal keys —
/// ties below Float resolution, rare — are put in exact order by `refineRuns`.
enum LovaszSort {
    /// Digit width of the exact passes (`sortSegments`), and of the coarse passes up to
    /// `wideDigitsAbove` items.
    static let digitBits = 11
    static let bucketCount = 1 << digitBits
    /// Above this many items the coarse passes take 12-bit digits (a 24-bit coarse key):
    /// runs of equal coarse keys get 4x rarer, for a fixed cost of twice the counts to
    /// clear and add up. On the hinge's 256×256 images (~45 000 items) that was 2–3 %
    /// faster; on 64×64 images (~2 800 items) 12 % slower (alternating processes,
    /// 2026-12-06), hence 11 bits below.
    static let wideDigitsAbove = 1 << 15

    /// The digit width of the coarse passes for `count` items (see `wideDigitsAbove`).
    static func coarseDigitBits(count: Int) -> Int { count > wideDigitsAbove ? 12 : digitBits }
    static let indexMask: UInt64 = 0x7FFF_FFFF
    /// Largest number of voxels in one entry (31-bit indices).
    static let maxEntryCount = Int(indexMask) + 1
    /// Above this many items `sort` hands the entry to `sortSegments` (top digit first)
    /// instead of the coarse passes and fix-up: runs of equal coarse keys get common at that
    /// size. On the 131 072-voxel class entries of Lovász-softmax pooled over 8×4×128×128,
    /// three exact passes were already 1.04–1.07× faster than the coarse sort (in-process
    /// A/B), and the top digit first 1.13–1.14× faster again; on 256×256 images no change
    /// at this limit, 5–8 % slower at 2¹⁴.
    static let exactPassesAbove = 1 << 16
    /// Runs up to this length are insertion-sorted (by `fixUp` and `refineRuns`).
    static let insertionLimit = 24

    /// The item of error `e` (> 0) at entry index `index` (< 2³¹); `label` marks g = 1.
    @inline(__always)
    static func item<S: SegScalar>(_ e: S, _ index: Int, label: Bool) -> UInt64 {
        UInt64(~Float(e).bitPattern) << 32 | UInt64(ElementChecks.bit(label)) << 31 | UInt64(truncatingIfNeeded: index)
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

    /// The smallest and largest key (high 32 bits) among some items.
    struct KeyRange: Sendable, Equatable {
        var low: UInt32
        var high: UInt32

        init(low: UInt32, high: UInt32) {
            self.low = low
            self.high = high
        }

        /// The range of `items[0..<count]`.
        init(_ items: UnsafePointer<UInt64>, count: Int) {
            self.init(low: .max, high: 0)
            for i in 0..<count {
                let key = UInt32(truncatingIfNeeded: items[i] &>> 32)
                low = min(low, key)
                high = max(high, key)
            }
        }
    }

    /// Sorts `items[0..<count]` by decreasing Float error (ascending keys, stable), using
    /// `scratch` (same capacity).
    static func sortDescending(_ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int) {
        let sorted = sort(items, scratch: scratch, count: count)
        if sorted != items { items.update(from: sorted, count: count) }
    }

    /// The coarse key c = (key − low) >> shift of an item: below 2^(2·digitBits) for the
    /// keys of the range it is made for, and monotone (non-decreasing) in the key.
    struct CoarseKey: Sendable, Equatable {
        let low: UInt32
        let shift: UInt32
        /// The width of each of the two digits of the coarse key.
        let digitBits: Int

        /// The coarse key of the keys in `range`: the shift keeps 2·`digitBits` bits.
        init(_ range: KeyRange, digitBits: Int = LovaszSort.digitBits) {
            low = range.low
            self.digitBits = digitBits
            let span = range.high &- range.low
            shift = UInt32(max(0, (32 &- span.leadingZeroBitCount) &- 2 &* digitBits))
        }

        /// Whether the coarse key is the key itself (minus `low`): no fix-up needed.
        var isExact: Bool { shift == 0 }

        @inline(__always)
        func callAsFunction(_ item: UInt64) -> UInt32 {
            (UInt32(truncatingIfNeeded: item &>> 32) &- low) &>> shift
        }
    }

    /// The order of the sort on items: key, then index (the label bit cleared).
    static let orderMask = ~(UInt64(1) << 31)

    /// Sorts the items like `sortDescending`, leaving them in `items` or in `scratch`
    /// (returned; the other buffer is then free), which saves copying them back. `keys`
    /// is the range of the items' keys when the caller has it (else one pass finds it).
    static func sort(
        _ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int,
        keys: KeyRange? = nil
    ) -> UnsafeMutablePointer<UInt64> {
        guard count > 1 else { return items }
        if count <= insertionLimit {
            // A few items: in place by (key, index), without the passes' fixed cost.
            orderRun(items, count: count) { $0 & orderMask < $1 & orderMask }
            return items
        }
        if count > exactPassesAbove {
            return sortSegments(items, segments: [Segment(start: 0, count: count)], other: scratch, keys: keys ?? KeyRange(items, count: count))
        }
        let coarse = CoarseKey(keys ?? KeyRange(items, count: count), digitBits: coarseDigitBits(count: count))
        let sorted = sortCoarse(items, scratch: scratch, count: count, coarse: coarse)
        if !coarse.isExact { fixUp(sorted, count: count, coarse: coarse) }
        return sorted
    }

    /// The two digit passes of `sort`: orders the items by `coarse` (stable, so by index
    /// within a coarse key), leaving them in `items` or `scratch` (returned). Unless
    /// `coarse.isExact`, the exact order then needs `fixUp`.
    private static func sortCoarse(
        _ items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int,
        coarse: CoarseKey
    ) -> UnsafeMutablePointer<UInt64> {
        guard count > 1 else { return items }
        let bits = coarse.digitBits, buckets = 1 << bits, mask = UInt32(buckets - 1)
        // Two histograms; the top digit gets a second table for odd items: its values
        // gather in few buckets (the binades), and separate tables halve the chains of
        // stores and loads on one count.
        let tables = UnsafeMutablePointer<UInt32>.allocate(capacity: 3 * buckets)
        defer { tables.deallocate() }
        tables.initialize(repeating: 0, count: 3 * buckets)
        let t0 = tables, t1 = tables + buckets, t2 = tables + 2 * buckets
        // Digit p of a coarse key; the top one is clamped, so that a key outside the
        // range `coarse` was made for can never index past a table (it would only sort
        // wrongly; the callers pass the range of the items).
        @inline(__always) func digit(_ c: UInt32, _ p: Int) -> Int {
            Int(truncatingIfNeeded: p == 0 ? c & mask : min(c &>> UInt32(bits), mask))
        }
        var i = 0
        while i + 1 < count {
            let c = coarse(items[i]), d = coarse(items[i &+ 1])
            t0[digit(c, 0)] &+= 1
            t1[digit(c, 1)] &+= 1
            t0[digit(d, 0)] &+= 1
            t2[digit(d, 1)] &+= 1
            i &+= 2
        }
        if i < count {
            let c = coarse(items[i])
            t0[digit(c, 0)] &+= 1
            t1[digit(c, 1)] &+= 1
        }
        // A digit shared by every item needs no pass: it is then item 0's digit.
        let first = coarse(items[0])
        let skip0 = Int(t0[digit(first, 0)]) == count, skip1 = Int(t1[digit(first, 1)] &+ t2[digit(first, 1)]) == count
        // Exclusive prefix sums of both histograms in one loop: two independent chains of
        // adds (one per table, 2048 or 4096 steps each, a fixed cost of every entry).
        var sum0: UInt32 = 0, sum1: UInt32 = 0
        for d in 0..<buckets {
            let c0 = t0[d], c1 = t1[d] &+ t2[d]
            t0[d] = sum0
            t1[d] = sum1
            sum0 &+= c0
            sum1 &+= c1
        }

        var source = items, target = scratch
        for p in 0..<2 {
            let table = tables + p * buckets
            if p == 0 ? skip0 : skip1 { continue }
            for i in 0..<count {
                let v = source[i]
                let d = digit(coarse(v), p)
                target[Int(table[d])] = v
                table[d] &+= 1
            }
            swap(&source, &target)
        }
        return source
    }
}
