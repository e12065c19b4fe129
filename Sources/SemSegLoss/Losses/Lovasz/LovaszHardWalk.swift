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
    /// 3. a plain scatter `gradient[location(item_k)] = v_k`.
    /// `counts` holds `min(count, Blocks.size)` elements (in the sort's free buffer).
    @inline(__always)
    static func walkHard<E: LovaszErrorFunction>(
        _ errors: E, items: UnsafeMutablePointer<UInt64>, count: Int, target G: Double,
        gradient: UnsafeMutablePointer<E.S>?, weight: Double,
        counts: UnsafeMutablePointer<UInt32>,
        location: (UInt64) -> Int
    ) -> Double {
        typealias S = E.S
        guard count > 0 else { return 0 }
        if G == 0 {  // Δ = e₁
            let e = S(LovaszSort.error(items[0]))
            if let gradient {
                gradient[location(items[0])] = S(weight) * errors.slope(error: e, label: 0)
            }
            return Double(e)
        }
        // Blocks of `Blocks.size` items, so that counts and packed items stay in L1
        // between the three loops.
        var negatives: UInt32 = 0, loss = 0.0, lo = 0
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
                let b = Double(counts[k])
                let a = Double(lo &+ k &+ 1) - b
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
                    gradient[location(item)] = S(Float(bitPattern: UInt32(truncatingIfNeeded: item &>> 32)))
                }
            }
            lo &+= n
        }
        return loss
    }
}
