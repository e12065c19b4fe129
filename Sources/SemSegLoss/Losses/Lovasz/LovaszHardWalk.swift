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
    /// 1. a scalar prefix count of the negatives, B_k, into `counts` (one add per item);
    /// 2. a branch-free loop computing Δ_k in Double as one division per item, the
    ///    gradient value v_k (Float, exact as S = Float) into the high half of item k in
    ///    place of its key (the index stays), and the loss Σ e_k·Δ_k in Double with
    ///    `Relaxed.multiplyAdd` (reassociated into vector lanes; the lane layout is fixed
    ///    by the compiled code, so results do not depend on threads);
    /// 3. a plain scatter `gradient[base + index(item_k)] = v_k`.
    /// `counts` holds `min(count, Blocks.size)` elements. This walks one chunk of the
    /// sorted items: `items` starts at rank `first`, after `negatives` negatives (updated
    /// to the count after the chunk), and the chunk's loss is returned (`walkHardChunks`).
    @inline(__always)
    static func walkHard<E: LovaszErrorFunction>(
        _ errors: E, items: UnsafeMutablePointer<UInt64>, count: Int, first: Int, negatives: inout UInt32,
        target G: Double, gradient: UnsafeMutablePointer<E.S>?, weight: Double, base: Int,
        counts: UnsafeMutablePointer<UInt32>
    ) -> Double {
        typealias S = E.S
        // Blocks of `Blocks.size` items, so that counts and packed items stay in L1
        // between the three loops.
        var loss = 0.0, lo = 0
        while lo < count {
            let n = min(Blocks.size, count &- lo), block = items + lo
            // 1. B_k, the negatives among the first k items (k ≤ count < 2³¹: UInt32).
            for k in 0..<n {
                negatives &+= 1 &- UInt32(truncatingIfNeeded: (block[k] &>> 31) & 1)
                counts[k] = negatives
            }
            // 2. Δ_k = num/den: a positive has num = 1, den = G + B; a negative
            //    num = G − A, den = (G + B)(G + B − 1) with G + B − 1 ≥ G > 0.
            for k in 0..<n {
                let item = block[k]
                let positive = (item &>> 31) & 1 == 1
                // Counts below 2³¹ as Int32, so that the conversions vectorise.
                let bi = Int32(bitPattern: counts[k])
                let b = Double(bi)
                let a = Double(Int32(truncatingIfNeeded: first &+ lo &+ k &+ 1) &- bi)
                let gb = G + b
                let delta = (positive ? 1 : G - a) / (positive ? gb : gb * (gb - 1))
                let e = LovaszSort.error(item)
                let value = S(weight * delta) * errors.slope(error: S(e), label: positive ? 1 : 0)
                block[k] = UInt64(Float(value).bitPattern) &<< 32 | item & LovaszSort.indexMask
                loss = Relaxed.multiplyAdd(Double(e), delta, loss)
            }
            // 3. Scatter to the voxels.
            if let gradient {
                for k in 0..<n {
                    let item = block[k]
                    gradient[base &+ LovaszSort.index(item)] = S(Float(bitPattern: UInt32(truncatingIfNeeded: item &>> 32)))
                }
            }
            lo &+= n
        }
        return loss
    }

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
        guard parallel && chunks > 1 else {
            return spare.withMemoryRebound(to: UInt32.self, capacity: Blocks.size) { counts in
                var loss = 0.0, negatives: UInt32 = 0
                for c in 0..<chunks {
                    let lo = c &* walkChunk, n = min(walkChunk, count &- lo)
                    loss += walkHard(
                        errors, items: items + lo, count: n, first: lo, negatives: &negatives, target: G,
                        gradient: gradient, weight: weight, base: base, counts: counts)
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
                    // Each chunk's prefix counts in its own part of `spare`.
                    var negatives = b[c]
                    (spare + lo).withMemoryRebound(to: UInt32.self, capacity: Blocks.size) { counts in
                        l[c] = walkHard(
                            errors, items: items + lo, count: n, first: lo, negatives: &negatives, target: G,
                            gradient: gradient, weight: weight, base: base, counts: counts)
                    }
                }
            }
        }
        var loss = 0.0
        for l in losses { loss += l }
        return loss
    }
}
