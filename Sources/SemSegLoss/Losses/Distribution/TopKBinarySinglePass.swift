import RealModule

// MARK: - Top-k BCE in one pass over the batch (binary / multilabel, K known up front)

/// The common case of `TopKCrossEntropyLoss` in binary and multilabel mode — background
/// included, no `ignore_index`, `mean` or `sum` reduction, a batch above
/// `TopKSelection.exactLimit` — in one pass over the elements instead of three.
///
/// Without ignored elements K = max(1, ⌊k·n/100⌋) is known before any loss is computed,
/// and so is the gradient factor of a selected element (1/K for `mean`, 1 for `sum`). A
/// band [low, high) from a sample (`TopKBinaryValues.sampleBand`) then settles almost
/// every element while ℓ is computed:
///
/// - ℓ_i ≥ high: selected; its gradient (1/K)·∂ℓ/∂x_i is final, and ℓ_i joins the sum;
/// - ℓ_i < low: not selected; gradient 0;
/// - low ≤ ℓ_i < high (about 3 % of the elements): gradient (1/K)·∂ℓ/∂x_i for now, and
///   (ℓ_i, i) is copied to the band list (from an L1 staging block, never from memory).
///
/// If `above` < K ≤ `above` + band size, the K-th largest lies in the band: a selection on
/// the band list (`TopKSelection.select`, exact, ties to the lowest flat index) gives it,
/// the band's selected values join the sum, and only the band's unselected elements have
/// their gradient set to 0. Otherwise (the sample misled) `evaluate` returns nil and the
/// caller runs the general path, which recomputes everything (slower, never wrong).
///
/// Against the general binary path (`TopKBinaryValues.evaluate`, then
/// `TopKSelection.apply`) this writes no per-element values and makes no second and
/// third pass over 3n elements: 16×1×256×256, see benchmarks/HISTORY.md (2026-12-06,
/// eleventh session). The selection and the gradient are the same (an unselected
/// element's gradient is +0 here, where the general path can give −0); the loss is the
/// same sum in another order (Float partial sums per block of the elements above the band,
/// then the band's in flat order), so it can differ in the last bits. Fixed chunks and
/// integer counts keep it independent of the thread count.
enum TopKBinarySinglePass {
    /// Elements per chunk of the pass (each chunk keeps its band list in its own part of
    /// the buffers, so a chunk can never hold more band elements than its length).
    static let chunkSize = TopKBinaryValues.chunkSize

    /// Whether this path applies (the caller has checked the binary-path conditions of
    /// `TopKBinaryValues.applies`): no ignore_index, a reduced loss, and flat indices that
    /// fit the band list's `UInt32`.
    static func applies(count: Int, options: LossOptions) -> Bool {
        options.ignoreIndex == nil && options.reduction != .none && count <= Int(UInt32.max)
            && TopKBinaryValues.applies(count: count, includeBackground: options.includeBackground)
    }

    /// What one chunk found.
    struct ChunkResult {
        /// Elements with ℓ ≥ high, and the sum of their ℓ.
        var above = 0
        var sumAbove = 0.0
        /// Elements in the band (copied to the chunk's part of the band list).
        var band = 0
        var scan = InputScan()
    }

    /// The loss (`mean` or the sum of the K largest) with the gradient written to
    /// `gradient` when given; nil when the band from the sample misses the K-th largest
    /// (nothing is then final: the caller runs the general path). `bandValues` holds
    /// `count` elements of scratch. Throws on bad input or target values.
    static func evaluate<S: SegScalar>(
        input: TensorView<S>, target: UnsafePointer<S>, fromLogits: Bool, percent: Double, mean: Bool,
        gradient: UnsafeMutablePointer<S>?, bandValues: UnsafeMutablePointer<S>
    ) throws(SegLossError) -> Double? {
        let count = input.shape.count, x = input.base
        let band = TopKBinaryValues.sampleBand(x, target, count: count, ignore: nil, fromLogits: fromLogits, percent: percent)
        guard !band.isEverything else { return nil }
        let kept = TopKSelection.kept(valid: count, percent: percent)
        let scale: S = mean ? 1 / S(kept) : 1
        let chunks = (count + chunkSize - 1) / chunkSize
        var found = [ChunkResult](repeating: ChunkResult(), count: chunks)
        return try ScratchBuffers.withBuffer(of: UInt32.self, count: count) { (bandIndices) throws(SegLossError) -> Double? in
            found.withUnsafeMutableBufferPointer { fb in
                guard let f = fb.baseAddress else { return }
                let g = gradient ?? bandValues  // written only with a gradient
                Parallel.forEachChunk(chunks, work: count &* 16) { c in
                    let lo = c &* chunkSize, hi = min(count, lo &+ chunkSize)
                    let list = (bandValues + lo, bandIndices + lo)
                    switch (fromLogits, gradient != nil) {
                    case (true, true): f[c] = chunk(x, target, lo, hi, band, scale, g, list, On.self, On.self)
                    case (false, true): f[c] = chunk(x, target, lo, hi, band, scale, g, list, Off.self, On.self)
                    case (true, false): f[c] = chunk(x, target, lo, hi, band, scale, g, list, On.self, Off.self)
                    case (false, false): f[c] = chunk(x, target, lo, hi, band, scale, g, list, Off.self, Off.self)
                    }
                }
            }
            var above = 0, size = 0, sumAbove = 0.0, scan = InputScan()
            for r in found {
                above &+= r.above
                size &+= r.band
                sumAbove += r.sumAbove
                scan.merge(r.scan)
            }
            try scan.check(
                input: input, target: TensorView(target, shape: input.shape), fromLogits: fromLogits, ignoreIndex: nil)
            guard above < kept, kept <= above &+ size else { return nil }
            let sumBand = settleBand(
                bandValues, bandIndices, found: found, size: size, kept: kept &- above, gradient: gradient)
            let total = sumAbove + sumBand
            return mean ? total / Double(kept) : total
        }
    }

    /// One chunk lo..<hi: ℓ and ∂ℓ/∂x per element, the gradient (`Grad`) settled outside
    /// the band, the band's values and flat indices appended to `list` (the chunk's own
    /// part of the band list, from its start), the counts and the sum above the band.
    static func chunk<S: SegScalar, Logits: StaticFlag, Grad: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafePointer<S>, _ lo: Int, _ hi: Int, _ band: TopKBinaryValues.Band<S>,
        _ scale: S, _ gradient: UnsafeMutablePointer<S>,
        _ list: (values: UnsafeMutablePointer<S>, indices: UnsafeMutablePointer<UInt32>), _: Logits.Type, _: Grad.Type
    ) -> ChunkResult {
        let objective = BCELoss(), logits = Logits.isOn, low = band.low, high = band.high
        var result = ChunkResult()
        var badIn = 0, badT = 0
        // The block's values, for the band's copy (in L1; a closure-scoped temporary
        // allocation here kept the loop from being specialised and vectorised).
        let staged = UnsafeMutablePointer<S>.allocate(capacity: Blocks.size)
        defer { staged.deallocate() }
        var b = lo
        while b < hi {
            let n = min(Blocks.size, hi &- b)
            let xb = x + b, tb = t + b, gb = gradient + b
            var bi: Int32 = 0, bt: Int32 = 0
            for j in 0..<n {
                let z = xb[j], g = tb[j]
                let (l, d) = objective.evaluate(z, g, fromLogits: logits)
                staged[j] = l
                if Grad.isOn { gb[j] = l >= low ? d * scale : 0 }
                bi &+= ElementChecks.badInput(z, logits: logits)
                bt &+= ElementChecks.badTarget(g)
            }
            // The counts and the sum above the band from the staged values (L1), in a
            // loop of their own: in the loop above they cost more (register spills).
            var ab: Int32 = 0, bc: Int32 = 0
            // Relaxed sum, vectorised into lanes (as `TopKSelection.applyChunk`).
            var sum: S = 0
            for j in 0..<n {
                let l = staged[j], isAbove = l >= high
                sum = Relaxed.sum(sum, isAbove ? l : 0)
                ab &+= ElementChecks.bit(isAbove)
                bc &+= TopKSelection.inBand(l, low, high)
            }
            if bc > 0 {
                TopKSelection.collectBand(
                    UnsafePointer(staged), n, base: b, low: low, high: high,
                    values: list.values + result.band, indices: list.indices + result.band, capacity: Int(bc))
            }
            result.above &+= Int(ab)
            result.band &+= Int(bc)
            result.sumAbove += Double(sum)
            badIn &+= Int(bi)
            badT &+= Int(bt)
            b &+= n
        }
        result.scan.badInput = Double(badIn)
        result.scan.badTarget = Double(badT)
        return result
    }

    /// Selects the `kept` largest of the band (1 ≤ kept ≤ size; ties to the lowest flat
    /// index), zeroes the gradient of its other elements and returns the sum of the
    /// selected values (in flat order). The chunks' parts of the band list are first
    /// packed together (flat order is chunk order).
    static func settleBand<S: SegScalar>(
        _ bandValues: UnsafeMutablePointer<S>, _ bandIndices: UnsafeMutablePointer<UInt32>, found: [ChunkResult],
        size: Int, kept: Int, gradient: UnsafeMutablePointer<S>?
    ) -> Double {
        var packed = 0
        for (c, r) in found.enumerated() {
            let from = c &* chunkSize
            if from != packed && r.band > 0 {
                (bandValues + packed).update(from: bandValues + from, count: r.band)
                (bandIndices + packed).update(from: bandIndices + from, count: r.band)
            }
            packed &+= r.band
        }
        // The band's (kept)-th largest, and its ties' cutoff as a band position.
        guard let pick = TopKSelection.select(
            UnsafePointer(bandValues), count: size, valid: size, kept: kept, sample: TopKBinaryValues.bandSample)
        else { return 0 }  // unreachable: 1 ≤ kept ≤ size
        let t = pick.threshold, cutoff = pick.tieCutoff
        var sum = 0.0
        for i in 0..<size {
            let v = bandValues[i]
            let chosen = v > t || (v == t && i < cutoff)
            if chosen {
                sum += Double(v)
            } else if let gradient {
                gradient[Int(bandIndices[i])] = 0
            }
        }
        return sum
    }
}
