import RealModule

// MARK: - The passes of the top-k selection

/// Element loops of `TopKSelection`, one fixed chunk at a time (see `ElementLoops.swift`
/// for how they are written: branch-free bodies the vectoriser widens). NaN marks an
/// invalid element; it compares false with every bound and threshold.
extension TopKSelection {
    /// out[j] = #{i < m : v[i] ≥ bounds[j]} for j < p. With `allValid`, the last bound
    /// (−∞) is not compared: its count is m.
    static func countAtLeast<S: SegScalar>(
        _ v: UnsafePointer<S>, _ m: Int, _ bounds: UnsafePointer<S>, _ p: Int, _ allValid: Bool,
        _ out: UnsafeMutablePointer<Int>
    ) {
        let compared = allValid ? p &- 1 : p
        out.update(repeating: 0, count: p)
        var b = 0
        while b < m {
            // Each bound in turn over a block that stays in L1.
            let n = min(Blocks.size, m &- b), vb = v + b
            for j in 0..<compared {
                let q = bounds[j]
                var c: Int32 = 0
                for i in 0..<n { c &+= ElementChecks.bit(vb[i] >= q) }
                out[j] &+= Int(c)
            }
            b &+= n
        }
        if allValid { out[p &- 1] = m }
    }

    /// Copies the values of `v[0..<m]` in [low, high) (high NaN: no upper bound) and their
    /// flat indices (`base` + i, as `I`: the caller makes sure they fit), in order, to
    /// `values` and `indices` (at most `capacity`, which the counts make exact). Per 32
    /// values, one vectorised loop builds a bit mask of the band's values (`bandMask`) and
    /// only its set bits are visited. (Compacting,
    /// branch-free, each 64-value block that holds a band value made the whole loss 4–10 %
    /// slower: with about 0.25 % of the values in the band, most such blocks hold one.)
    static func collectBand<S: SegScalar, I: FixedWidthInteger>(
        _ v: UnsafePointer<S>, _ m: Int, base: Int, low: S, high: S,
        values: UnsafeMutablePointer<S>, indices: UnsafeMutablePointer<I>, capacity: Int
    ) {
        let sinkValue = UnsafeMutablePointer<S>.allocate(capacity: 1)
        let sinkIndex = UnsafeMutablePointer<I>.allocate(capacity: 1)
        defer { sinkValue.deallocate(); sinkIndex.deallocate() }
        var written = 0, s = 0
        while s < m && written < capacity {
            let e = min(32, m &- s), vb = v + s
            var mask = bandMask(vb, e, low, high)
            // The first two set bits without a branch (most masks hold at most two). A
            // step without a set bit writes to the next free slot (a later band value
            // overwrites it) or, once the band is complete, to a sink.
            for _ in 0..<2 {
                let j = mask.trailingZeroBitCount & 31, open = written < capacity
                (open ? values + written : sinkValue).pointee = vb[j]
                (open ? indices + written : sinkIndex).pointee = I(truncatingIfNeeded: base &+ s &+ j)
                written &+= Int(ElementChecks.bit(ElementChecks.both(mask != 0, open)))
                mask &= mask &- 1
            }
            while mask != 0 && written < capacity {
                let j = mask.trailingZeroBitCount
                values[written] = vb[j]
                indices[written] = I(truncatingIfNeeded: base &+ s &+ j)
                written &+= 1
                mask &= mask &- 1
            }
            s &+= e
        }
    }

    /// Bit j (j < n ≤ 32) is set when low ≤ v[j] < high (`inBand`). For n = 32 the loop
    /// is vectorised into one mask (32-bit lanes: LLVM turns the shifted bits into a
    /// masked constant load and an OR reduction; 64-bit lanes cost several times more).
    @inline(__always)
    static func bandMask<S: SegScalar>(_ v: UnsafePointer<S>, _ n: Int, _ low: S, _ high: S) -> UInt32 {
        var mask: UInt32 = 0
        @inline(__always) func bit(_ j: Int) -> UInt32 {
            UInt32(truncatingIfNeeded: inBand(v[j], low, high)) &<< UInt32(truncatingIfNeeded: j)
        }
        if n == 32 {
            for j in 0..<32 { mask |= bit(j) }
        } else {
            for j in 0..<n { mask |= bit(j) }
        }
        return mask
    }

    /// 1 if low ≤ x < high (high NaN: x ≥ low), else 0; 0 for NaN. Needs high > low.
    @inline(__always)
    static func inBand<S: SegScalar>(_ x: S, _ low: S, _ high: S) -> Int32 {
        ElementChecks.bit(x >= low) &- ElementChecks.bit(x >= high)
    }

    // MARK: - Applying the selection

    /// Returns Σ of the selected values. Selected: v_i > t, or v_i = t with i below the
    /// tie cutoff (the lowest flat indices). The gradient factor of element i is `scale`
    /// (× grad_output_i) if selected, else 0: `gradient` (one element per value,
    /// binary/multilabel) is multiplied by it, or, without a gradient, values[i] is
    /// replaced by it (multiclass: the caller scales the channels). `out` receives the
    /// selected values, 0 elsewhere. Parallel over fixed chunks; the chunk sums are added
    /// in chunk order.
    static func apply<S: SegScalar>(
        _ pick: Pick<S>, values: UnsafeMutablePointer<S>, count: Int, scale: S,
        gradOutput: UnsafePointer<S>?, out: UnsafeMutablePointer<S>?, gradient: UnsafeMutablePointer<S>?
    ) -> Double {
        let chunks = (count + chunkSize - 1) / chunkSize
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: max(1, chunks))
        defer { sums.deallocate() }
        let go = gradOutput ?? UnsafePointer(values), o = out ?? values, g = gradient ?? values
        Parallel.forEachChunk(chunks, work: count) { c in
            let lo = c &* chunkSize, hi = min(count, lo &+ chunkSize)
            let r: Double
            switch (gradOutput != nil, out != nil, gradient != nil) {
            case (false, false, true): r = applyChunk(pick, values, lo, hi, scale, go, o, g, Off.self, Off.self, On.self)
            case (false, true, true): r = applyChunk(pick, values, lo, hi, scale, go, o, g, Off.self, On.self, On.self)
            case (true, false, true): r = applyChunk(pick, values, lo, hi, scale, go, o, g, On.self, Off.self, On.self)
            case (true, true, true): r = applyChunk(pick, values, lo, hi, scale, go, o, g, On.self, On.self, On.self)
            case (false, false, false): r = applyChunk(pick, values, lo, hi, scale, go, o, g, Off.self, Off.self, Off.self)
            case (false, true, false): r = applyChunk(pick, values, lo, hi, scale, go, o, g, Off.self, On.self, Off.self)
            case (true, false, false): r = applyChunk(pick, values, lo, hi, scale, go, o, g, On.self, Off.self, Off.self)
            case (true, true, false): r = applyChunk(pick, values, lo, hi, scale, go, o, g, On.self, On.self, Off.self)
            }
            sums[c] = r
        }
        var total = 0.0
        for c in 0..<chunks { total += sums[c] }
        return total
    }

    /// `apply` over lo..<hi. Options: grad_output, values output, gradient (else factors).
    static func applyChunk<S: SegScalar, GO: StaticFlag, Out: StaticFlag, Grad: StaticFlag>(
        _ pick: Pick<S>, _ v: UnsafeMutablePointer<S>, _ lo: Int, _ hi: Int, _ scale: S,
        _ go: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ gradient: UnsafeMutablePointer<S>,
        _: GO.Type, _: Out.Type, _: Grad.Type
    ) -> Double {
        let t = pick.threshold, cutoff = pick.tieCutoff
        var total = 0.0
        var b = lo
        while b < hi {
            let n = min(Blocks.size, hi &- b)
            let vb = v + b, ob = out + b, gb = gradient + b, gob = go + b
            // Relaxed sum, vectorised into lanes (see `RegionStatsKernel.rowSums`).
            var sum: S = 0
            for j in 0..<n {
                let x = vb[j]
                let chosen = ElementChecks.either(x > t, ElementChecks.both(x == t, b &+ j < cutoff))
                let kept: S = chosen ? x : 0
                let f: S = chosen ? (GO.isOn ? gob[j] * scale : scale) : 0
                sum = Relaxed.sum(sum, kept)
                if Out.isOn { ob[j] = kept }
                if Grad.isOn { gb[j] *= f } else { vb[j] = f }
            }
            total += Double(sum)
            b &+= n
        }
        return total
    }
}
