// MARK: - One entry of a Lovász loss

/// What one entry (an (image, class) pair, or a class pooled over the batch) yields.
struct LovaszEntryResult: Sendable {
    /// Σ_k e_π(k) Δ_k (0 for an entry without valid voxels).
    var loss = 0.0
    /// G = Σ g over the valid voxels.
    var target = 0.0
    /// Number of valid (not ignored) voxels.
    var valid = 0
    var scan = InputScan()
}

/// The input rows (planes) of one Lovász entry: `count` rows of `spatial` voxels, row
/// `first` and then every `stride`-th row (per image: one row; pooled over the batch: one
/// row per image, C rows apart).
///
/// An item names its voxel by the offset from the entry's first voxel (`base`), so the
/// gradient's address is `base + index` without a division, and the order of the
/// offsets is the order of (row, voxel), in which ties are kept. Offsets must stay below
/// 2³¹ (`LovaszSort.maxEntryCount`), which bounds `span`.
struct LovaszRows: Sendable, Equatable {
    var first: Int
    var count: Int
    var stride: Int
    var spatial: Int

    /// Flat index of the entry's first voxel.
    var base: Int { first * spatial }
    /// Input row of the entry's r-th row.
    func row(_ r: Int) -> Int { first + r * stride }
    /// Offset from `base` of the r-th row's first voxel.
    func offset(_ r: Int) -> Int { r * stride * spatial }
    /// One more than the largest offset.
    var span: Int { count == 0 ? 0 : ((count - 1) * stride + 1) * spatial }
    /// Voxels in the entry.
    var voxels: Int { count * spatial }
}

/// Evaluates the Lovász extension of the Jaccard loss on one entry:
///
///     L = Σ_k e_π(k) Δ_k,   Δ_k = J_k − J_(k−1),   J_k = 1 − (G − A_k)/(G + B_k),
///
/// with π sorting the errors e in decreasing order, A_k = Σ_(j≤k) g_π(j) and
/// B_k = Σ_(j≤k) (1 − g_π(j)) (LovaszSoftmax's `lovasz_grad`, Berman et al., CVPR 2018;
/// LOSSES.md §1.6, §6.9). Δ_k ≥ 0 and Σ Δ_k = 1 when G > 0; for G = 0 every J_k is 1,
/// so Δ = e₁ (only the largest error counts). The gradient is ∂L/∂x_π(k) = Δ_k·∂e/∂x,
/// the sort and Δ being constants almost everywhere (the loss is piecewise linear in e).
///
/// Only errors e > 0 are sorted. This is exact for value and gradient: in decreasing
/// order they come first, so A_k, B_k and Δ_k at their ranks involve only them, and the
/// rest contributes nothing — the hinge uses relu(m), so m ≤ 0 adds 0 with zero
/// gradient, and an absolute error of 0 adds 0 with slope 0 (sign(p − g) = 0). On random
/// logits this drops ~40% of the hinge's voxels before the sort (`LovaszSort`); G comes
/// from the gathering pass, which also validates input and target.
enum LovaszEntryKernel {
    /// Runs one entry (`rows`). Writes Δ_k·∂e/∂x·`weight` to the gradient rows (zero
    /// elsewhere) when `gradient` is given. `items` and `scratch` hold `rows.voxels`
    /// items. With `split` the entry's passes run in parallel (`runSplit`: for an entry
    /// as large as the batch); the result is the same bit for bit.
    static func run<E: LovaszErrorFunction>(
        _ errors: E, input x: UnsafePointer<E.S>, target t: UnsafePointer<E.S>,
        gradient: UnsafeMutablePointer<E.S>?, rows: LovaszRows, ignore: E.S?, weight: Double,
        items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, split: Bool = false
    ) -> LovaszEntryResult {
        if split {
            return runSplit(
                errors, input: x, target: t, gradient: gradient, rows: rows, ignore: ignore, weight: weight,
                items: items, scratch: scratch)
        }
        let spatial = rows.spatial
        // Gather, per row (`gatherRow`): the items with error > 0 into `items`, the
        // validation counts and the range of the sorted keys.
        var gathered = GatherCounts(), valid = 0, ones = 0
        let ig = ignore ?? 0, hasIgnore = ignore != nil
        for r in 0..<rows.count {
            let xr = x + rows.row(r) * spatial, tr = t + rows.row(r) * spatial
            gathered.rowValid = 0
            gathered.rowOnes = 0
            // One copy of the loop per `ignoring` value: without ignore_index the keep
            // masks vanish.
            if hasIgnore {
                gatherRow(errors, xr, tr, spatial: spatial, offset: rows.offset(r), ignore: ig, ignoring: true,
                          items: items, into: &gathered)
            } else {
                gatherRow(errors, xr, tr, spatial: spatial, offset: rows.offset(r), ignore: ig, ignoring: false,
                          items: items, into: &gathered)
            }
            valid &+= Int(gathered.rowValid)
            ones &+= Int(gathered.rowOnes)
        }
        var result = gatheredResult(gathered, valid: valid, ones: ones, target: t, rows: rows, ignore: ignore)
        // The gradient rows are zeroed just before the walk scatters into them (so they
        // are still in cache then).
        guard gathered.sortable else {
            zeroGradient(gradient, rows: rows)
            return result
        }
        // Sort by decreasing error (exact for Float; Double runs refined by exact errors).
        let count = gathered.count
        let keys = LovaszSort.KeyRange(low: gathered.keyLow, high: gathered.keyHigh)
        let sorted = LovaszSort.sort(items, scratch: scratch, count: count, keys: keys)
        // The sorted items end in `items` or `scratch`; the other buffer is free.
        let spare = sorted == items ? scratch : items
        zeroGradient(gradient, rows: rows)
        result.loss = walk(
            errors, input: x, target: t, gradient: gradient, rows: rows, sorted: sorted, spare: spare,
            count: count, target: result.target, soft: gathered.soft > 0, weight: weight, parallel: false)
        return result
    }

    /// Loss of the sorted items of an entry, and its gradient (already zeroed). The walk
    /// runs in fixed chunks of `walkChunk` items whose losses are added in order, in
    /// parallel when `parallel` (Float errors, hard labels), so the result is the same
    /// either way. Double errors first get ties below Float resolution put in exact order.
    static func walk<E: LovaszErrorFunction>(
        _ errors: E, input x: UnsafePointer<E.S>, target t: UnsafePointer<E.S>,
        gradient: UnsafeMutablePointer<E.S>?, rows: LovaszRows, sorted: UnsafeMutablePointer<UInt64>,
        spare: UnsafeMutablePointer<UInt64>, count: Int, target G: Double, soft: Bool, weight: Double, parallel: Bool
    ) -> Double {
        typealias S = E.S
        let base = rows.base
        if S.self != Float.self {
            LovaszSort.refineRuns(sorted, count: count) { a, b in
                let pa = base &+ LovaszSort.index(a), pb = base &+ LovaszSort.index(b)
                let ea = errors.error(x[pa], t[pa]), eb = errors.error(x[pb], t[pb])
                return ea > eb || (ea == eb && LovaszSort.index(a) < LovaszSort.index(b))
            }
        }
        if S.self == Float.self && !soft && E.slopeFromError {
            return walkHardChunks(
                errors, items: sorted, count: count, target: G, gradient: gradient, weight: weight,
                base: base, spare: spare, parallel: parallel)
        }
        // Walk in decreasing order: Δ_k from the running label sums, loss and gradient.
        var a = 0.0, b = 0.0, previous = 0.0, loss = 0.0
        for k in 0..<count {
            let p = base &+ LovaszSort.index(sorted[k])
            let xi = x[p], gi = t[p]
            let g = Double(gi)
            a += g
            b += 1 - g
            let jaccard = 1 - (G - a) / (G + b)  // G + B_k ≥ k > 0
            let delta = jaccard - previous
            previous = jaccard
            loss += Double(errors.error(xi, gi)) * delta
            if let gradient { gradient[p] = S(weight * delta) * errors.slope(xi, gi) }
        }
        return loss
    }

    /// The entry's result before the sort: validation counts, valid voxels and G.
    static func gatheredResult<S: SegScalar>(
        _ c: GatherCounts, valid: Int, ones: Int, target t: UnsafePointer<S>, rows: LovaszRows, ignore: S?
    ) -> LovaszEntryResult {
        var result = LovaszEntryResult()
        result.scan.badInput = Double(c.badInput)
        result.scan.badTarget = Double(c.badTarget)
        result.valid = valid
        result.target = c.soft > 0 ? targetSum(t, rows: rows, ignore: ignore) : Double(ones)
        return result
    }

    /// G = Σ g over the valid voxels of the entry, row by row in voxel order (soft labels;
    /// for hard ones it is the count of ones from the gathering pass).
    static func targetSum<S: SegScalar>(_ t: UnsafePointer<S>, rows: LovaszRows, ignore: S?) -> Double {
        var total = 0.0
        for r in 0..<rows.count {
            let tr = t + rows.row(r) * rows.spatial
            var sum = 0.0
            if let ig = ignore {
                for i in 0..<rows.spatial where tr[i] != ig { sum += Double(tr[i]) }
            } else {
                for i in 0..<rows.spatial { sum += Double(tr[i]) }
            }
            total += sum
        }
        return total
    }

    static func zeroGradient<S: SegScalar>(_ gradient: UnsafeMutablePointer<S>?, rows: LovaszRows) {
        guard let gradient else { return }
        for r in 0..<rows.count { (gradient + rows.row(r) * rows.spatial).update(repeating: 0, count: rows.spatial) }
    }

    /// What the gathering pass accumulates: validation counts (over the entry, and the
    /// valid voxels and ones of the current row), the range of the sorted keys and the
    /// number of items kept.
    struct GatherCounts {
        var badInput: Int32 = 0, badTarget: Int32 = 0, soft: Int32 = 0
        var rowValid: Int32 = 0, rowOnes: Int32 = 0
        var keyLow = UInt32.max, keyHigh: UInt32 = 0
        var count = 0

        /// Valid input and target, and at least one item to sort.
        var sortable: Bool { badInput == 0 && badTarget == 0 && count > 0 }
    }

    /// Gathers one row (or part of one) of `spatial` voxels (entry indices from `offset`:
    /// the row's offset in the entry, `LovaszRows.offset`), in blocks of `Blocks.size`
    /// voxels staged in L1:
    ///
    /// 1. a vectorised loop computes each voxel's error and writes two 32-bit words, its
    ///    key (`~bits(Float(e))`, or 0 unless valid with error > 0) and its low word (the
    ///    hard-label bit and the entry index, see `LovaszSort.item`), and folds the
    ///    validation flags, the valid voxels and the ones;
    /// 2. a second loop takes the range of the keys that are not 0;
    /// 3. a compaction (`LovaszItemLoops.append`) appends the items whose key is not 0
    ///    (its top bit is set: the complement of a positive Float's sign) to `items`,
    ///    joining the two words.
    ///
    /// Every value of the first loop is 32 bits wide, so it runs eight lanes per AVX2
    /// vector; built as 64-bit items there it ran four lanes with register spills, and the
    /// hinge on 16×1×256×256 took 7–9 % longer (alternating processes, 2026-12-06). The
    /// validation flags are OR-ed bits (bad input, bad target, a soft label), not counts:
    /// `InputScan.check` rescans to count and locate on the error path. `items` holds one
    /// item per voxel gathered into it (those of earlier rows and this one).
    @inline(__always)
    static func gatherRow<E: LovaszErrorFunction>(
        _ errors: E, _ x: UnsafePointer<E.S>, _ t: UnsafePointer<E.S>, spatial: Int, offset: Int,
        ignore ig: E.S, ignoring: Bool, items: UnsafeMutablePointer<UInt64>, into c: inout GatherCounts
    ) {
        var rowValid = c.rowValid, rowOnes = c.rowOnes
        var keyLow = c.keyLow, keyHigh = c.keyHigh, count = c.count
        var flags: Int32 = 0
        // A block's keys and low words, in memory of their own: staged in the caller's
        // UInt64 scratch rebound to UInt32 (`withMemoryRebound`), the loop was not
        // vectorised where the entry is split over the threads (binary Lovász-softmax
        // pooled: 1.3x slower).
        let room = min(Blocks.size, spatial)
        let stage = UnsafeMutablePointer<UInt32>.allocate(capacity: 2 * room)
        defer { stage.deallocate() }
        var b = 0
        while b < spatial {
            let n = min(Blocks.size, spatial - b)
            let xb = x + b, tb = t + b, keys = stage, lows = stage + room
            // Entry indices stay below 2³¹ (`LovaszSort.maxEntryCount`).
            let first = UInt32(truncatingIfNeeded: offset &+ b)
            for i in 0..<n {
                let xi = xb[i], gi = tb[i]
                let k = ElementChecks.bit(!ignoring || gi != ig)
                flags |= ElementChecks.badInput(xi, logits: E.logits)
                    | (k & ElementChecks.badTarget(gi)) &<< 1
                    | (k & ElementChecks.bit(gi != 0) & ElementChecks.bit(gi != 1)) &<< 2
                rowValid &+= k
                let one = ElementChecks.bit(gi == 1)
                rowOnes &+= k & one
                let e = errors.error(xi, gi)
                let sorted = ElementChecks.both(k != 0, e > 0)
                let key: UInt32 = sorted ? ~Float(e).bitPattern : 0
                keys[i] = key
                lows[i] = UInt32(bitPattern: one) &<< 31 | (first &+ UInt32(truncatingIfNeeded: i))
            }
            // The key range in a loop of its own (in the loop above its accumulators made
            // the interleaved vector code spill registers): a key of 0 (not sorted) is
            // UInt32.max after subtracting 1, so it never lowers the minimum.
            var lowMinusOne = UInt32.max
            for i in 0..<n {
                lowMinusOne = min(lowMinusOne, keys[i] &- 1)
                keyHigh = max(keyHigh, keys[i])
            }
            if lowMinusOne != .max { keyLow = min(keyLow, lowMinusOne &+ 1) }
            count = LovaszItemLoops.append(keys: keys, lows: lows, count: n, to: items, at: count)
            b &+= n
        }
        let badInput = c.badInput &+ (flags & 1)
        let badTarget = c.badTarget &+ ((flags &>> 1) & 1)
        let soft = c.soft &+ ((flags &>> 2) & 1)
        c = GatherCounts(
            badInput: badInput, badTarget: badTarget, soft: soft, rowValid: rowValid, rowOnes: rowOnes,
            keyLow: keyLow, keyHigh: keyHigh, count: count)
    }

}
