import RealModule

// MARK: - The sorted walk for Float errors and hard labels

extension LovaszEntryKernel {
    /// Loss and gradient of one entry from its sorted items, for Float errors and hard
    /// labels: error and label come from the items, so the only access to voxel memory is
    /// the scattered gradient.
    ///
    /// With integer counts the increments Δ_k = J_k − J_(k−1) have closed forms free of
    /// cancellation. With B_k negatives and A_k = k − B_k positives among the first k
    /// items, J_k = 1 − (G − A_k)/(G + B_k); a positive at rank k (B_k = B_(k−1)) adds
    ///
    ///     Δ_k = 1/(G + B_k),
    ///
    /// a negative (B_k = B_(k−1) + 1 ≥ 1, A_k = A_(k−1))
    ///
    ///     Δ_k = (G − A_k)/((G + B_k)(G + B_k − 1)),
    ///
    /// and G = 0 gives Δ = e₁ (only the largest error counts). The gradient of voxel π(k)
    /// is weight·Δ_k·∂e/∂x.
    ///
    /// Method, per block of `Blocks.size` items, in three loops so that the middle one
    /// vectorises:
    /// 1. the running count of negatives B_k with the label bit into `counts`, the keys
    ///    into `keys` (`LovaszItemLoops.walkWords`): 32-bit words, so that loop 2 runs
    ///    without 64-bit lanes;
    /// 2. a branch-free loop computing Δ_k as one division per item (`deltas`), the
    ///    gradient value v_k (Float, as S = Float) into `counts[k]`, and
    ///    the loss Σ e_k·Δ_k in Double with `Relaxed.multiplyAdd` (reassociated into
    ///    vector lanes; the lane layout is fixed by the compiled code, so results do not
    ///    depend on threads);
    /// 3. a plain scatter `gradient[base + index(item_k)] = v_k`.
    /// The sorted items are only read (until 2026-12-06 loop 2 wrote v_k into them in place
    /// of the key, so every line of them went back dirty through the caches).
    /// `counts` and `keys` hold `min(count, Blocks.size)` elements. This walks one chunk of the
    /// sorted items: `items` starts at rank `first`, after `negatives` negatives (updated
    /// to the count after the chunk), and the chunk's loss is returned (`walkHardChunks`).
    ///
    /// With `floatDelta` (the caller's choice: G + ranks ≤ 2²⁴, so that G, A_k, B_k and
    /// G + B_k − 1 are exact in Float) Δ_k is computed in Float (`deltas`): eight
    /// lanes per AVX2 vector instead of four. Each Δ_k then carries two roundings (the
    /// product (G + B)(G + B − 1) and the division), so it is within about 1 ulp of Float of
    /// the exact value, and v_k within 2 ulp; the loss, a sum of terms ≥ 0, within 2⁻²²
    /// (relative). On 16×1×256×256 (2026-12-06) 18 % of the gradient's elements moved by
    /// 1–2 ulp against Δ_k in Double, the loss by about 1e−11.
    @inline(__always)
    static func walkHard<E: LovaszErrorFunction>(
        _ errors: E, items: UnsafeMutablePointer<UInt64>, count: Int, first: Int, negatives: inout UInt32,
        target G: Double, gradient: UnsafeMutablePointer<E.S>?, weight: Double, base: Int,
        counts: UnsafeMutablePointer<UInt32>, keys: UnsafeMutablePointer<UInt32>, floatDelta: Bool
    ) -> Double {
        typealias S = E.S
        // Blocks of `Blocks.size` items, so that counts and packed items stay in L1
        // between the three loops.
        var loss = 0.0, lo = 0
        while lo < count {
            let n = min(Blocks.size, count &- lo), block = items + lo
            // 1. B_k, the negatives among the first k items (k ≤ count < 2³¹: UInt32),
            //    with the labels, and the keys.
            LovaszItemLoops.walkWords(block, count: n, counts: counts, keys: keys, negatives: &negatives)
            // 2. Δ_k, v_k and the loss.
            if floatDelta {
                deltas(errors, count: n, rank: first &+ lo, counts: counts, keys: keys, target: Float(G),
                       weight: Float(weight), loss: &loss, termsInKeys: On.self)
            } else {
                deltas(errors, count: n, rank: first &+ lo, counts: counts, keys: keys, target: G,
                       weight: weight, loss: &loss, termsInKeys: Off.self)
            }
            // 3. Scatter to the voxels.
            if let gradient {
                for k in 0..<n {
                    gradient[base &+ LovaszSort.index(block[k])] = S(Float(bitPattern: counts[k]))
                }
            }
            lo &+= n
        }
        return loss
    }

    /// Loop 2 of `walkHard` in the precision D (Float or Double) on a block of `n` sorted
    /// items whose first has rank `rank` (0-based), from their `walkWords`: Δ_k
    /// (`increment`), the bits of v_k = weight·Δ_k·∂e/∂x in place of `counts[k]`, and the
    /// loss terms e_k·Δ_k added to `loss`.
    ///
    /// With `TermsInKeys` (Δ in Float) the terms are written into `keys[k]` as Floats and
    /// added in Double by a second loop: the first then has only 32-bit lanes (eight per
    /// AVX2 vector; summed in Double in the same loop it ran four). The terms are ≥ 0, so
    /// the loss keeps a relative error below 2⁻²² (Δ_k within about 2⁻²³, the product
    /// within 2⁻²⁴). Without it the terms are added in Double as they come.
    @inline(__always)
    static func deltas<E: LovaszErrorFunction, D: BinaryFloatingPoint, TermsInKeys: StaticFlag>(
        _ errors: E, count n: Int, rank: Int, counts: UnsafeMutablePointer<UInt32>, keys: UnsafeMutablePointer<UInt32>,
        target G: D, weight: D, loss: inout Double, termsInKeys: TermsInKeys.Type
    ) {
        var sum = loss
        // A_k + B_k = rank + k + 1, counted in Int32 (ranks < 2³¹) so that it vectorises
        // as 32-bit lanes.
        var ranks = Int32(truncatingIfNeeded: rank &+ 1)
        for k in 0..<n {
            let (delta, positive) = increment(counts[k], ranks: ranks, target: G)
            ranks &+= 1
            let e = Float(bitPattern: ~keys[k])
            counts[k] = gradientBits(errors, error: e, delta: delta, positive: positive, weight: weight)
            if TermsInKeys.isOn {
                keys[k] = Float(D(e) * delta).bitPattern
            } else {
                sum = Relaxed.multiplyAdd(Double(e), Double(delta), sum)
            }
        }
        if TermsInKeys.isOn {
            var terms = 0.0
            for k in 0..<n { terms = Relaxed.sum(terms, Double(Float(bitPattern: keys[k]))) }
            loss += terms
        } else {
            loss = sum
        }
    }

    /// Δ_k of the item whose walk word (`LovaszItemLoops.walkWords`) is `word`, with
    /// `ranks` = A_k + B_k: 1/(G + B) for a positive, (G − A)/((G + B)(G + B − 1)) for a
    /// negative; and whether it is a positive.
    @inline(__always)
    static func increment<D: BinaryFloatingPoint>(_ word: UInt32, ranks: Int32, target G: D) -> (D, Bool) {
        let positive = word &>> 31 == 1
        // Counts below 2³¹ as Int32, so that the conversions vectorise.
        let b = Int32(bitPattern: word & 0x7FFF_FFFF)
        let gb = G + D(b), a = D(ranks &- b)
        return ((positive ? 1 : G - a) / (positive ? gb : gb * (gb - 1)), positive)
    }

    /// The bits of the gradient value weight·Δ·∂e/∂x (a Float, as S = Float).
    @inline(__always)
    static func gradientBits<E: LovaszErrorFunction, D: BinaryFloatingPoint>(
        _ errors: E, error e: Float, delta: D, positive: Bool, weight: D
    ) -> UInt32 {
        let value = E.S(weight * delta) * errors.slope(error: E.S(e), label: positive ? 1 : 0)
        return Float(value).bitPattern
    }

    /// Largest G + count for which `walkHard` computes Δ in Float (every integer up to 2²⁴
    /// is a Float).
    static let floatDeltaLimit = Double(1 << 24)

    /// Sorted items per chunk of the walk (fixed, so that the loss is added in the same
    /// order whatever the threads).
    static let walkChunk = 1 << 16

    /// `walkHard` over all sorted items in chunks of `walkChunk`, their losses added in
    /// chunk order. With `parallel`, one pass counts each chunk's negatives, and the
    /// chunks then walk in parallel from their prefix counts; the result is the same bit
    /// for bit. `spare` is a free buffer of `count` items (the sort's other buffer).
    static func walkHardChunks<E: LovaszErrorFunction>(
        _ errors: E, items: UnsafeMutablePointer<UInt64>, count: Int, target G: Double,
        gradient: UnsafeMutablePointer<E.S>?, weight: Double, base: Int,
        spare: UnsafeMutablePointer<UInt64>, parallel: Bool
    ) -> Double {
        typealias S = E.S
        guard count > 0 else { return 0 }
        if G == 0 {  // Δ = e₁
            let e = S(LovaszSort.error(items[0]))
            if let gradient {
                gradient[base &+ LovaszSort.index(items[0])] = S(weight) * errors.slope(error: e, label: 0)
            }
            return Double(e)
        }
        let chunks = (count &+ walkChunk &- 1) / walkChunk
        let floatDelta = G + Double(count) <= floatDeltaLimit
        guard parallel && chunks > 1 else {
            // Counts and keys of a block: 2·min(count, Blocks.size) words of `spare`.
            let words = min(count, Blocks.size)
            return spare.withMemoryRebound(to: UInt32.self, capacity: 2 &* words) { counts in
                var loss = 0.0, negatives: UInt32 = 0
                for c in 0..<chunks {
                    let lo = c &* walkChunk, n = min(walkChunk, count &- lo)
                    loss += walkHard(
                        errors, items: items + lo, count: n, first: lo, negatives: &negatives, target: G,
                        gradient: gradient, weight: weight, base: base, counts: counts, keys: counts + words,
                        floatDelta: floatDelta)
                }
                return loss
            }
        }
        // Negatives before each chunk, then the chunks from those counts.
        var before = [UInt32](repeating: 0, count: chunks + 1)
        var losses = [Double](repeating: 0, count: chunks)
        before.withUnsafeMutableBufferPointer { bb in
            let b = bb.baseAddress!
            Parallel.forEachChunk(chunks, work: count) { c in
                let lo = c &* walkChunk, n = min(walkChunk, count &- lo)
                var ones: UInt32 = 0
                for k in lo..<(lo &+ n) { ones &+= UInt32(truncatingIfNeeded: (items[k] &>> 31) & 1) }
                b[c &+ 1] = UInt32(truncatingIfNeeded: n) &- ones
            }
            for c in 0..<chunks { b[c &+ 1] &+= b[c] }
            losses.withUnsafeMutableBufferPointer { lb in
                let l = lb.baseAddress!
                Parallel.forEachChunk(chunks, work: count &* 16) { c in
                    let lo = c &* walkChunk, n = min(walkChunk, count &- lo)
                    // Each chunk's counts and keys in its own part of `spare`.
                    var negatives = b[c]
                    let words = min(n, Blocks.size)
                    (spare + lo).withMemoryRebound(to: UInt32.self, capacity: 2 &* words) { counts in
                        l[c] = walkHard(
                            errors, items: items + lo, count: n, first: lo, negatives: &negatives, target: G,
                            gradient: gradient, weight: weight, base: base, counts: counts, keys: counts + words,
                            floatDelta: floatDelta)
                    }
                }
            }
        }
        var loss = 0.0
        for l in losses { loss += l }
        return loss
    }
}
