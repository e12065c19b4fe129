// MARK: - Top-k cross-entropy

/// Top-k cross-entropy (SegLoss `TopKLoss`, nnU-Net's `DC_and_topk_loss`; Wu et al.,
/// "Bridging category-level and instance-level semantic image segmentation", 2016):
/// the mean of the k % largest per-voxel cross-entropy values (LOSSES.md §2 row 7), i.e.
/// online hard-voxel mining.
///
///     ℓ_i  = per-voxel CE (multiclass, `CrossEntropyLoss` with its weight / smoothing)
///            or per-element BCE (binary / multilabel)
///     K    = max(1, ⌊k·n/100⌋),  n = number of valid voxels (elements)
///     L    = (1/K) Σ_{i ∈ top-K} ℓ_i
///
/// The gradient is that of the selected voxels only (the selection is piecewise
/// constant): (1/K)·∂ℓ_i/∂x for i in the top K, 0 elsewhere. Ties at the K-th value are
/// broken deterministically by the lower flat index (N, *spatial order; binary and
/// multilabel: input order). The selection is an O(n) three-way quickselect on a copy of
/// the valid values (with a sort fallback that bounds the worst case by O(n log n)).
///
/// Differences from SegLoss: ignored voxels are excluded from n and from the selection
/// (SegLoss counts them as CE 0 in the total), and K ≥ 1 (SegLoss's int(n·k/100) can be 0,
/// giving the mean of nothing, NaN). With class weights the values are the weighted CE
/// and the mean is a plain mean over the K voxels (as SegLoss).
///
/// Reductions: `mean` (above), `sum` (Σ over the top K), `none` (the per-voxel values of
/// the selected voxels, 0 elsewhere; (N, *spatial) in multiclass mode, the input's shape
/// otherwise; grad_output weighs the selected voxels).
public struct TopKCrossEntropyLoss: Sendable {
    /// Percentage of voxels kept, in (0, 100] (default 10, as SegLoss).
    public var k: Double
    public var crossEntropy: CrossEntropyLoss

    public init(k: Double = 10, crossEntropy: CrossEntropyLoss = CrossEntropyLoss()) {
        self.k = k
        self.crossEntropy = crossEntropy
    }

    public func validate() throws(SegLossError) {
        guard k.isFinite, k > 0, k <= 100 else { throw .value("k", "must be a percentage in (0, 100], got \(k)") }
        try crossEntropy.validate()
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate()
        let shape = input.shape
        let multiclass = options.mode == .multiclass
        let count = multiclass ? shape.batch * shape.spatialCount : shape.count
        let values = UnsafeMutablePointer<S>.allocate(capacity: count)
        defer { values.deallocate() }
        // nil: every voxel (element) is valid.
        var valid: [Bool]?
        let perVoxel = LossOutputs(gradient: outputs.gradient, values: values)
        if multiclass {
            let targets = try CategoricalEvaluator.prepare(input: input, target: target, options: options)
            let weights = try CategoricalEvaluator.foldedWeights(
                classes: shape.channels, weight: crossEntropy.weight, alpha: nil,
                includeBackground: options.includeBackground)
            _ = try CategoricalEvaluator.sweep(
                CrossEntropyTerm(smoothing: crossEntropy.labelSmoothing, classes: shape.channels),
                targets: targets, classWeights: weights, input: input, fromLogits: options.fromLogits,
                weight: 1, outputs: perVoxel, accumulate: false)
            if targets.ignoredVoxels > 0 {
                let sp = shape.spatialCount, stride = shape.channels * sp, mark = MulticlassTargets<S>.ignoredMark
                valid = (0..<count).map { targets.dense[($0 / sp) * stride + $0 % sp] != mark }
            }
        } else {
            try crossEntropy.requireBinaryCompatible(mode: options.mode)
            let t = try target.requireDense("top_k_ce_loss")
            var inner = options
            inner.reduction = .none
            _ = try PixelLossEvaluator.evaluate(BCELoss(), input: input, target: t, options: inner, outputs: perVoxel)
            if let ignore = options.ignoreIndex.map({ S($0) }) {
                valid = (0..<count).map { t.base[$0] != ignore }
            }
            if !options.includeBackground {
                var v = valid ?? [Bool](repeating: true, count: count)
                let plane = shape.spatialCount
                for n in 0..<shape.batch { for i in 0..<plane { v[n * shape.channels * plane + i] = false } }
                valid = v
            }
        }
        let go = options.reduction == .none ? outputs.gradOutput : nil
        if let go {
            for i in 0..<count where !go[i].isFinite {
                throw .value("grad_output", "must be finite, got \(go[i]) at flat index \(i)")
            }
        }
        guard let pick = TopKSelection.threshold(values, valid: valid, count: count, percent: k) else {
            // Nothing valid: loss 0, zero gradient and values.
            if let g = outputs.gradient { g.update(repeating: 0, count: shape.count) }
            if let out = outputs.values, options.reduction == .none { out.update(repeating: 0, count: count) }
            return 0
        }
        let mean: S = options.reduction == .mean ? 1 / S(pick.kept) : 1
        let total = TopKSelection.apply(
            pick, values: values, valid: valid, count: count, scale: mean, gradOutput: go,
            out: options.reduction == .none ? outputs.values : nil, gradient: multiclass ? nil : outputs.gradient)
        if let gradient = outputs.gradient, multiclass {
            // values[i] now holds the factor of voxel i.
            let plane = shape.spatialCount, channels = shape.channels
            for n in 0..<shape.batch {
                let f = values + n * plane
                for c in 0..<channels {
                    let g = gradient + (n * channels + c) * plane
                    for i in 0..<plane { g[i] *= f[i] }
                }
            }
        }
        return options.reduction == .mean ? total / Double(pick.kept) : total
    }
}

// MARK: - Selection of the k % largest values

enum TopKSelection {
    /// The K-th largest of the n valid values (K = max(1, ⌊percent·n/100⌋)), how many
    /// valid values equal to it are selected (the lowest indices), and K; nil when n = 0.
    ///
    /// Large inputs first look for the K-th value between two values of a fixed stride
    /// sample (Floyd–Rivest): one pass counts the values above the upper bound and
    /// collects those between the bounds, and a quickselect runs on that small set. If the
    /// bounds miss, an exact quickselect runs on all valid values. Both give the same
    /// exact threshold, so the result does not depend on the path.
    static func threshold<S: SegScalar>(
        _ v: UnsafePointer<S>, valid: [Bool]?, count: Int, percent: Double
    ) -> (threshold: S, equal: Int, kept: Int)? {
        let n = valid.map { $0.reduce(0) { $0 + ($1 ? 1 : 0) } } ?? count
        guard n > 0 else { return nil }
        let kept = max(1, Int((percent * Double(n) / 100).rounded(.down)))
        let buffer = UnsafeMutablePointer<S>.allocate(capacity: count)
        defer { buffer.deallocate() }
        let ok = valid ?? []
        return ok.withUnsafeBufferPointer { okb in
            let mask = valid == nil ? nil : okb.baseAddress
            var t: S?
            var above = 0
            let sampleSize = 4096
            if n > 8 * sampleSize {
                var sample = [S]()
                sample.reserveCapacity(sampleSize)
                for j in 0..<sampleSize {
                    let i = j * (count / sampleSize)
                    if mask?[i] ?? true { sample.append(v[i]) }
                }
                sample.sort(by: >)
                let m = sample.count, q = Double(kept) / Double(n)
                let rank = Int(q * Double(m)), delta = Int(5 * (Double(m) * q * (1 - q)).squareRoot()) + 8
                let hi = rank - delta >= 0 ? sample[rank - delta] : S.infinity
                let lo = rank + delta < m ? sample[rank + delta] : -S.infinity
                // Branch-free: count values above hi, compact those in [lo, hi] into buffer.
                var nb = 0, up = 0
                if let mask {
                    for i in 0..<count {
                        let x = v[i], use = mask[i]
                        up &+= Int(ElementChecks.bit(ElementChecks.both(use, x > hi)))
                        buffer[nb] = x
                        nb &+= Int(ElementChecks.bit(ElementChecks.both(use, ElementChecks.both(x <= hi, x >= lo))))
                    }
                } else {
                    for i in 0..<count {
                        let x = v[i]
                        up &+= Int(ElementChecks.bit(x > hi))
                        buffer[nb] = x
                        nb &+= Int(ElementChecks.bit(ElementChecks.both(x <= hi, x >= lo)))
                    }
                }
                if up < kept && kept <= up + nb {
                    let kth = kthLargest(UnsafeMutableBufferPointer(start: buffer, count: nb), kept - up - 1)
                    above = up
                    for j in 0..<nb { above &+= Int(ElementChecks.bit(buffer[j] > kth)) }
                    t = kth
                }
            }
            if t == nil {
                var np = 0
                for i in 0..<count {
                    buffer[np] = v[i]
                    np &+= Int(ElementChecks.bit(mask?[i] ?? true))
                }
                let kth = kthLargest(UnsafeMutableBufferPointer(start: buffer, count: np), kept - 1)
                above = 0
                for j in 0..<np { above &+= Int(ElementChecks.bit(buffer[j] > kth)) }
                t = kth
            }
            return (t!, kept - above, kept)
        }
    }

    /// Given the threshold, returns Σ of the selected values and replaces values[i] by the
    /// gradient factor of voxel i: `scale` (× grad_output) if selected, else 0; writes the
    /// selected values (0 elsewhere) to `out`, and multiplies `gradient` (one element per
    /// value, binary/multilabel) by the factors. Selected: valid and above the threshold, or
    /// equal to it among the first `equal` such voxels in flat order.
    static func apply<S: SegScalar>(
        _ pick: (threshold: S, equal: Int, kept: Int), values: UnsafeMutablePointer<S>, valid: [Bool]?,
        count: Int, scale: S, gradOutput: UnsafePointer<S>?, out: UnsafeMutablePointer<S>?,
        gradient: UnsafeMutablePointer<S>?
    ) -> Double {
        let t = pick.threshold
        // Ties first (rare): the first `equal` valid voxels equal to t.
        var ties = [Int]()
        if pick.equal > 0 {
            for i in 0..<count where values[i] == t && (valid?[i] ?? true) {
                ties.append(i)
                if ties.count == pick.equal { break }
            }
        }
        // The pass below zeroes their gradient (one factor per element): keep ∂ℓ/∂x.
        let tieGradients = gradient.map { g in ties.map { g[$0] } } ?? []
        var total = Double(pick.equal) * Double(t)
        let ok = valid ?? []
        let scratch = UnsafeMutablePointer<S>.allocate(capacity: Blocks.size)
        defer { scratch.deallocate() }
        ok.withUnsafeBufferPointer { okb in
            let mask = valid == nil ? nil : okb.baseAddress
            var b = 0
            while b < count {
                let m = min(Blocks.size, count - b)
                let vb = values + b
                if mask == nil && gradOutput == nil, let gradient {
                    // The common case, as a branch-free loop the vectoriser widens (arithmetic
                    // masks: selects on floats stay branches here).
                    let gb = gradient + b
                    for j in 0..<m {
                        let v = vb[j], chosen = S(ElementChecks.bit(v > t))
                        scratch[j] = v * chosen
                        vb[j] = scale * chosen
                        gb[j] *= scale * chosen
                    }
                } else if mask == nil && gradOutput == nil {
                    for j in 0..<m {
                        let v = vb[j], chosen = S(ElementChecks.bit(v > t))
                        scratch[j] = v * chosen
                        vb[j] = scale * chosen
                    }
                } else {
                    for j in 0..<m {
                        let v = vb[j]
                        let chosen = ElementChecks.both(mask?[b + j] ?? true, v > t)
                        scratch[j] = chosen ? v : 0
                        vb[j] = chosen ? (gradOutput?[b + j] ?? 1) * scale : 0
                    }
                    if let gradient { for j in 0..<m { gradient[b + j] *= vb[j] } }
                }
                if let out { (out + b).update(from: scratch, count: m) }
                total += BlockSums.sum(scratch, m)
                b += m
            }
        }
        for (j, i) in ties.enumerated() {
            values[i] = (gradOutput?[i] ?? 1) * scale
            out?[i] = t
            if let gradient { gradient[i] = tieGradients[j] * values[i] }
        }
        return total
    }

    /// The value at position `kth` of `a` sorted in descending order (see the buffer form).
    static func kthLargest<S: Comparable>(_ a: inout [S], _ kth: Int) -> S {
        a.withUnsafeMutableBufferPointer { kthLargest($0, kth) }
    }

    /// The value at position `kth` of `b` sorted in descending order (three-way
    /// quickselect, median-of-three pivots; falls back to sorting after 2·log2(n) + 4
    /// rounds, which bounds the worst case). Reorders `b`.
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
