// MARK: - Selection of the k % largest values

/// Finds the K-th largest of n per-voxel values and how its ties are broken; the kernels
/// (counting, compaction, and applying the selection) are in `TopKSelectionKernels.swift`.
///
/// Invalid (ignored) elements hold NaN in the value buffer: NaN compares false with
/// everything, so no pass counts, collects or selects it, and no mask is needed.
///
/// Method (exact; a sample only decides how much work the exact passes do):
/// 1. Above `exactLimit` valid values, a fixed-stride sample of `sampleSize` values gives
///    pivots p_0 > p_1 > … around the sample quantile K/n (Floyd–Rivest), densest within
///    ±1 standard deviation of the sample rank; the last bound is always −∞.
/// 2. One pass counts, per fixed chunk, the values ≥ each bound (vectorised compares).
///    The smallest j with G_j = #{v ≥ p_j} ≥ K gives the band [p_j, p_{j−1}) that holds
///    the K-th largest, and `above` = G_{j−1} values lie above the band.
/// 3. One pass copies the band's values and flat indices (in flat order, chunk by chunk to
///    offsets known from the counts), and a quickselect on that small set gives the
///    threshold t. If the sample misleads, the band is only larger, never wrong.
///
/// Counts are integers and chunks are fixed, so the result does not depend on threads.
enum TopKSelection {
    /// The selection: `threshold` t is the K-th largest valid value, `kept` = K; of the
    /// valid values equal to t, the `equal` ones with the lowest flat indices are selected,
    /// i.e. exactly those with flat index < `tieCutoff`.
    struct Pick<S: SegScalar> {
        var threshold: S
        var equal: Int
        var kept: Int
        var tieCutoff: Int
    }

    /// Elements per chunk of the parallel passes.
    static let chunkSize = 1 << 16
    static let sampleSize = 4096
    /// Up to this many valid values the band is all of them (no sample).
    static let exactLimit = 8 * sampleSize
    /// Pivot positions around the expected sample rank of the K-th largest, in standard
    /// deviations of that rank (the outermost ones widened by 8 positions).
    static let pivotOffsets: [Double] = [-5, -2, -1, -0.5, 0, 0.5, 1, 2, 5]

    /// K = max(1, ⌊percent·n/100⌋) of `valid` = n valid (non-NaN) values of `v`.
    static func kept(valid n: Int, percent: Double) -> Int {
        let k = (percent * Double(n) / 100).rounded(.down)
        return k >= Double(n) ? n : max(1, Int(k))
    }

    /// The selection of the K largest among the `valid` non-NaN values of `v[0..<count]`
    /// (K from `percent`); nil when there is no valid value.
    static func select<S: SegScalar>(
        _ v: UnsafePointer<S>, count: Int, valid n: Int, percent: Double
    ) -> Pick<S>? {
        guard n > 0 else { return nil }
        return select(v, count: count, valid: n, kept: kept(valid: n, percent: percent))
    }

    /// The selection of the `kept` largest (1 ≤ kept ≤ n) among the `valid` = n non-NaN
    /// values of `v[0..<count]`, with pivots from a sample of `sample` values above 8·`sample`
    /// valid values; nil when there is no valid value.
    static func select<S: SegScalar>(
        _ v: UnsafePointer<S>, count: Int, valid n: Int, kept: Int, sample: Int = sampleSize
    ) -> Pick<S>? {
        guard n > 0, count >= n, kept >= 1, kept <= n else { return nil }
        var bounds = n > 8 * sample ? samplePivots(v, count: count, valid: n, kept: kept, size: sample) : []
        bounds.append(-S.infinity)
        let p = bounds.count
        let chunks = (count + chunkSize - 1) / chunkSize
        // counts[c·p + j] = #{v ≥ bounds[j]} in chunk c.
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: chunks * p)
        defer { counts.deallocate() }
        bounds.withUnsafeBufferPointer { bb in
            guard let b = bb.baseAddress else { return }
            let allValid = n == count
            Parallel.forEachChunk(chunks, work: count &* p) { c in
                let lo = c &* chunkSize
                countAtLeast(v + lo, min(chunkSize, count &- lo), b, p, allValid, counts + c &* p)
            }
        }
        // The band [bounds[j], bounds[j − 1]) holds the K-th largest (bounds[−1] = +∞).
        var j = 0, above = 0
        while j < p {
            var g = 0
            for c in 0..<chunks { g &+= counts[c &* p &+ j] }
            if g >= kept { break }
            above = g
            j &+= 1
        }
        guard j < p else { return nil }  // unreachable: the −∞ bound counts all n values
        let bandLow = bounds[j], bandHigh = j == 0 ? S.nan : bounds[j &- 1]
        // Offsets of each chunk's band elements.
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: chunks + 1)
        defer { offsets.deallocate() }
        offsets[0] = 0
        for c in 0..<chunks {
            let inBand = counts[c &* p &+ j] &- (j == 0 ? 0 : counts[c &* p &+ j &- 1])
            offsets[c &+ 1] = offsets[c] &+ inBand
        }
        let size = offsets[chunks]
        guard size > 0, kept &- above <= size else { return nil }  // unreachable, see above
        let bandValues = UnsafeMutablePointer<S>.allocate(capacity: size)
        let bandIndices = UnsafeMutablePointer<Int>.allocate(capacity: size)
        defer { bandValues.deallocate(); bandIndices.deallocate() }
        Parallel.forEachChunk(chunks, work: count) { c in
            let lo = c &* chunkSize, start = offsets[c]
            guard offsets[c &+ 1] > start else { return }
            collectBand(
                v + lo, min(chunkSize, count &- lo), base: lo, low: bandLow, high: bandHigh,
                values: bandValues + start, indices: bandIndices + start, capacity: offsets[c &+ 1] &- start)
        }
        // The threshold: the (K − above)-th largest of the band, on a copy.
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: size)
        defer { scratch.deallocate() }
        scratch.initialize(from: bandValues, count: size)
        let t = kthLargest(UnsafeMutableBufferPointer(start: scratch, count: size), kept &- above &- 1)
        for i in 0..<size { above &+= Int(ElementChecks.bit(bandValues[i] > t)) }
        let equal = kept &- above
        // Ties: the equal-th value equal to t in flat order is the last one selected.
        var seen = 0, cutoff = count
        for i in 0..<size where bandValues[i] == t {
            seen &+= 1
            if seen == equal { cutoff = bandIndices[i] &+ 1; break }
        }
        return Pick(threshold: t, equal: equal, kept: kept, tieCutoff: cutoff)
    }

    // MARK: - Pivots from a sample

    /// Pivots p_0 > p_1 > … (valid sample values at the positions `pivotOffsets` around
    /// the expected rank of the K-th largest in a fixed-stride sample); empty when the
    /// sample has too few valid values.
    static func samplePivots<S: SegScalar>(
        _ v: UnsafePointer<S>, count: Int, valid n: Int, kept: Int, size: Int = sampleSize
    ) -> [S] {
        let stride = count / size
        guard stride > 0 else { return [] }
        let sample = UnsafeMutablePointer<S>.allocate(capacity: size)
        defer { sample.deallocate() }
        var m = 0
        for j in 0..<size {
            let x = v[j &* stride]
            sample[m] = x
            m &+= Int(ElementChecks.bit(x == x))
        }
        guard m >= 64 else { return [] }
        let q = Double(kept) / Double(n), center = q * Double(m)
        let sigma = (Double(m) * q * (1 - q)).squareRoot()
        var positions = [Int]()
        for (i, o) in pivotOffsets.enumerated() {
            let widen = i == 0 ? -8.0 : i == pivotOffsets.count - 1 ? 8.0 : 0
            let x = (center + o * sigma + widen).rounded(.down)
            if x >= 0 && x < Double(m) { positions.append(Int(x)) }
        }
        guard let first = positions.first, let last = positions.last else { return [] }
        // Order sample[first...last] in descending order: two selections, then a sort.
        let all = UnsafeMutableBufferPointer(start: sample, count: m)
        _ = kthLargest(all, first)
        let rest = UnsafeMutableBufferPointer(start: sample + first, count: m &- first)
        _ = kthLargest(rest, last &- first)
        var middle = UnsafeMutableBufferPointer(start: sample + first, count: last &- first &+ 1)
        middle.sort(by: >)
        var pivots = [S]()
        for i in positions where pivots.last.map({ sample[i] < $0 }) ?? true { pivots.append(sample[i]) }
        return pivots
    }

    // MARK: - Quickselect

    /// The value at position `kth` of `a` sorted in descending order (see the buffer form).
    static func kthLargest<S: Comparable>(_ a: inout [S], _ kth: Int) -> S {
        a.withUnsafeMutableBufferPointer { kthLargest($0, kth) }
    }

    /// The value at position `kth` of `b` sorted in descending order (three-way
    /// quickselect, median-of-three pivots; falls back to sorting after 2·log2(n) + 4
    /// rounds, which bounds the worst case). Reorders `b` so that it is partitioned at
    /// `kth` (no smaller value before it, no larger value after it).
    static func kthLargest<S: Comparable>(_ b: UnsafeMutableBufferPointer<S>, _ kth: Int) -> S {
        var b = b
        var lo = 0, hi = b.count - 1
        var budget = 2 * (Int.bitWidth - b.count.leadingZeroBitCount) + 4
        while hi > lo {
            if budget == 0 {
                b[lo...hi].sort(by: >)
                return b[kth]
            }
            budget -= 1
            let x = b[lo], y = b[lo + (hi - lo) / 2], z = b[hi]
            let pivot = max(min(x, y), min(max(x, y), z))
            // [lo, lt) > pivot, [lt, gt] == pivot, (gt, hi] < pivot
            var lt = lo, i = lo, gt = hi
            while i <= gt {
                let e = b[i]
                if e > pivot {
                    b.swapAt(lt, i)
                    lt += 1
                    i += 1
                } else if e < pivot {
                    b.swapAt(i, gt)
                    gt -= 1
                } else {
                    i += 1
                }
            }
            if kth < lt { hi = lt - 1 } else if kth > gt { lo = gt + 1 } else { return pivot }
        }
        return b[kth]
    }
}
