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
    /// Runs one entry made of `rows.count` rows of `spatial` voxels (entry index
    /// `r·spatial + i` for voxel i of the r-th row). Writes Δ_k·∂e/∂x·`weight` to the
    /// gradient rows (zero elsewhere) when `gradient` is given. `items` and `scratch`
    /// hold `rows.count·spatial` items.
    static func run<E: LovaszErrorFunction>(
        _ errors: E, input x: UnsafePointer<E.S>, target t: UnsafePointer<E.S>,
        gradient: UnsafeMutablePointer<E.S>?, rows: [Int], spatial: Int, ignore: E.S?, weight: Double,
        items: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>
    ) -> LovaszEntryResult {
        typealias S = E.S
        var result = LovaszEntryResult()
        // Gather, per row: a vectorised pass computes the errors (−∞ where ignored) and
        // the validation counts, then a branch-free compaction keeps the errors > 0.
        var count = 0, valid = 0
        var badInput: Int32 = 0, badTarget: Int32 = 0, soft: Int32 = 0, ones = 0
        var targetSum = 0.0
        let ig = ignore ?? 0, hasIgnore = ignore != nil
        scratch.withMemoryRebound(to: S.self, capacity: spatial) { es in
            for (r, row) in rows.enumerated() {
                let xr = x + row * spatial, tr = t + row * spatial, offset = r * spatial
                var rowValid: Int32 = 0, rowOnes: Int32 = 0
                for i in 0..<spatial {
                    let xi = xr[i], gi = tr[i]
                    let keep = !hasIgnore || gi != ig
                    let k = ElementChecks.bit(keep)
                    badInput &+= ElementChecks.badInput(xi, logits: E.logits)
                    badTarget &+= k & ElementChecks.badTarget(gi)
                    soft &+= k & ElementChecks.bit(gi != 0) & ElementChecks.bit(gi != 1)
                    rowValid &+= k
                    rowOnes &+= k & ElementChecks.bit(gi == 1)
                    es[i] = keep ? errors.error(xi, gi) : -.infinity
                }
                for i in 0..<spatial {
                    let e = es[i]
                    items[count] = LovaszSort.item(e, offset &+ i, label: tr[i] == 1)
                    count &+= Int(ElementChecks.bit(e > 0))
                }
                valid &+= Int(rowValid)
                ones &+= Int(rowOnes)
                if soft > 0 {
                    var sum = 0.0
                    for i in 0..<spatial where es[i] > -.infinity { sum += Double(tr[i]) }
                    targetSum += sum
                } else {
                    targetSum = Double(ones)
                }
            }
        }
        result.scan.badInput = Double(badInput)
        result.scan.badTarget = Double(badTarget)
        result.valid = valid
        result.target = targetSum
        if let gradient { for row in rows { (gradient + row * spatial).update(repeating: 0, count: spatial) } }
        guard badInput == 0 && badTarget == 0 && count > 0 else { return result }

        // Sort by decreasing error (exact for Float; Double runs refined by exact errors).
        let single = rows.count == 1, base = rows[0] &* spatial
        @inline(__always) func location(_ item: UInt64) -> Int {
            let j = LovaszSort.index(item)
            return single ? base &+ j : rows[j / spatial] &* spatial &+ j % spatial
        }
        LovaszSort.sortDescending(items, scratch: scratch, count: count)
        if S.self != Float.self {
            LovaszSort.refineRuns(items, count: count) { a, b in
                let pa = location(a), pb = location(b)
                let ea = errors.error(x[pa], t[pa]), eb = errors.error(x[pb], t[pb])
                return ea > eb || (ea == eb && LovaszSort.index(a) < LovaszSort.index(b))
            }
        }

        // Walk in decreasing order: Δ_k from the running label sums, loss and gradient.
        if S.self == Float.self && soft == 0 && E.slopeFromError {
            result.loss = scratch.withMemoryRebound(to: Double.self, capacity: count) { reciprocals in
                walkHard(
                    errors, items: items, count: count, target: targetSum, gradient: gradient,
                    weight: weight, reciprocals: reciprocals, location: location)
            }
            return result
        }
        let G = targetSum
        var a = 0.0, b = 0.0, previous = 0.0, loss = 0.0
        for k in 0..<count {
            let p = location(items[k])
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
        result.loss = loss
        return result
    }

    /// The walk for Float errors and hard labels: error and label come from the items,
    /// so the only access to voxel memory is the scattered gradient. With integer counts
    /// the increments have closed forms free of cancellation: J_k = k/(G + B_k), so a
    /// positive at rank k adds Δ = 1/(G + B_k) and a negative
    /// Δ = (G − A_k)/((G + B_k)(G + B_k − 1)); G = 0 gives Δ = e₁. The reciprocals
    /// r_j = 1/(G + j + 1) are computed first in a vectorised loop (into `reciprocals`,
    /// `count` doubles), so the walk itself has no division.
    @inline(__always)
    static func walkHard<E: LovaszErrorFunction>(
        _ errors: E, items: UnsafeMutablePointer<UInt64>, count: Int, target G: Double,
        gradient: UnsafeMutablePointer<E.S>?, weight: Double, reciprocals r: UnsafeMutablePointer<Double>,
        location: (UInt64) -> Int
    ) -> Double {
        if G == 0 {  // Δ = e₁
            let e = E.S(LovaszSort.error(items[0]))
            if let gradient {
                gradient[location(items[0])] = E.S(weight) * errors.slope(error: e, label: 0)
            }
            return Double(e)
        }
        for j in 0..<count { r[j] = 1 / (G + Double(j + 1)) }
        let inverseG = 1 / G
        // Integer counts and two loss accumulators keep the loop-carried chains short.
        var positives = 0, negatives = 0, loss0 = 0.0, loss1 = 0.0
        @inline(__always) func step(_ k: Int) -> Double {
            let item = items[k]
            let label = LovaszSort.label(item)
            positives &+= label
            negatives &+= 1 &- label
            // 1/(G + B) and 1/(G + B − 1) (B ≥ 1 after a negative).
            let current = negatives == 0 ? inverseG : r[negatives &- 1]
            let previous = negatives < 2 ? inverseG : r[negatives &- 2]
            let delta = label == 1 ? current : (G - Double(positives)) * current * previous
            let e = E.S(LovaszSort.error(item))
            if let gradient {
                gradient[location(item)] = E.S(weight * delta) * errors.slope(error: e, label: E.S(label))
            }
            return Double(e) * delta
        }
        var k = 0
        while k + 1 < count {
            loss0 += step(k)
            loss1 += step(k + 1)
            k += 2
        }
        if k < count { loss0 += step(k) }
        return loss0 + loss1
    }
}
