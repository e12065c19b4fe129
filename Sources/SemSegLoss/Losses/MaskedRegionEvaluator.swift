// MARK: - Region losses restricted by a voxel mask

/// A mask (voxel weights in [0, 1]) of shape (N, 1, *spatial) or (1, 1, *spatial), shared
/// by every channel (and, with a batch of 1, by every image), as MONAI's `MaskedDiceLoss`.
public struct RegionMask<Scalar>: @unchecked Sendable {
    public let base: UnsafePointer<Scalar>
    /// 1 or N.
    public let batch: Int

    /// Checks `dims` against the input shape (N, C, *spatial).
    public init(_ base: UnsafePointer<Scalar>, dims: [Int], input: TensorShape) throws(SegLossError) {
        let spatial = Array(input.spatial)
        guard dims.count == input.dims.count, dims.count >= 3, dims[1] == 1, Array(dims[2...]) == spatial,
              dims[0] == 1 || dims[0] == input.batch else {
            throw .shape("mask", "must have shape (N, 1, *spatial) or (1, 1, *spatial) = \(TensorShape.format([input.batch, 1] + spatial)) or \(TensorShape.format([1, 1] + spatial)) for input \(input), got \(TensorShape.format(dims))")
        }
        self.base = base
        batch = dims[0]
    }

    /// The mask of image `n` (`spatialCount` values).
    func image(_ n: Int, spatialCount: Int) -> UnsafePointer<Scalar> { base + (batch == 1 ? 0 : n) * spatialCount }
}

/// Evaluates a `RegionObjective` with voxel weights m (binary and multilabel modes; the
/// multiclass mode goes through `MulticlassAdapter` with the same mask on every class):
///
///     TP = Σ m·p·g,   P = Σ m·p (Σ m·p² with squared sums),   G = Σ m·g (Σ m·g²),   V = Σ m
///     ∂L/∂p_i = m_i · (∂L/∂TP · g_i + ∂L/∂P · ∂P/∂p_i)
///
/// For a binary mask this is MONAI's `MaskedDiceLoss` (input and target multiplied by the
/// mask before the Dice: masked voxels leave TP, P and G) and the same as marking the
/// masked voxels with `ignore_index`. A soft mask weighs each voxel linearly; MONAI's
/// product (p·m)(g·m) would weigh the intersection by m² instead. Unlike MONAI, which
/// multiplies the *logits* by the mask when `sigmoid=True` (a masked voxel becomes
/// p = σ(0) = ½ and still counts in P), the mask applies to the probabilities. Entries
/// whose mask is 0 everywhere (V = 0) leave the mean, with zero gradient.
enum MaskedRegionEvaluator {
    static func evaluate<S: SegScalar, O: RegionObjective>(
        _ objective: O, input: TensorView<S>, target: TensorView<S>, mask: RegionMask<S>,
        options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in
            try objective.validate()
            try objective.region.checkClassWeights(channels: shape.channels)
            if objective.region.softLabel {
                throw .option("soft_label", "is not available with a mask (use the hard-target intersection)")
            }
        }
        let ignore = options.ignoreIndex.map { S($0) }
        let fromLogits = options.fromLogits, squared = objective.squaredSums
        let rowLength = shape.spatialCount, rows = shape.rows, channels = shape.channels

        // Pass 1: checks and weighted sums per row, in chunks whose element loops are
        // branch-free (vectorised); sums in fixed lanes per chunk, then in Double in order.
        var stats = [RegionStats](repeating: RegionStats(), count: rows)
        var bad = [Bool](repeating: false, count: rows)
        stats.withUnsafeMutableBufferPointer { out in
            bad.withUnsafeMutableBufferPointer { flags in
                Parallel.forEachChunk(rows, work: shape.count * 8, threshold: 1 << 16) { r in
                    withUnsafeTemporaryAllocation(of: S.self, capacity: 4 * chunk) { t in
                        let x = input.row(r), g = target.row(r)
                        let m = mask.image(r / channels, spatialCount: rowLength)
                        var s = RegionStats()
                        var lo = 0
                        while lo < rowLength {
                            let n = Swift.min(chunk, rowLength - lo)
                            let problems = Self.weightedTerms(
                                x + lo, g + lo, m + lo, n, fromLogits: fromLogits, squared: squared, ignore: ignore,
                                into: t.baseAddress!)
                            if problems != 0 {
                                flags[r] = true
                                return
                            }
                            let base = t.baseAddress!
                            s.intersection += BlockSums.sum(base, n)
                            s.prediction += BlockSums.sum(base + chunk, n)
                            s.target += BlockSums.sum(base + 2 * chunk, n)
                            s.valid += BlockSums.sum(base + 3 * chunk, n)
                            lo += n
                        }
                        out[r] = s
                    }
                }
            }
        }
        if bad.contains(true) {
            try Self.firstProblem(input: input, target: target, mask: mask, fromLogits: fromLogits, ignore: ignore)
            throw .value("input", "invalid values (input, target or mask) that could not be located")
        }

        // Entries and reduction, as RegionLossEvaluator.
        let region = objective.region
        let entries = RegionEntries(shape: shape, options: options, batch: region.batch)
        let pooled = entries.pool(stats, zero: RegionStats(), +)
        let c0 = options.firstChannel, kept = channels - c0
        let (value, a, b) = try RegionReduction.reduceTerms(
            entries: entries, pooled: pooled, emptyTarget: region.emptyTarget, options: options, outputs: outputs,
            weight: { e in objective.classWeight(region.batch ? e + c0 : e % kept + c0) }
        ) { s, e in objective.term(s, channel: region.batch ? e + c0 : e % kept + c0) }

        // Pass 2: m_i (a g_i + b ∂P/∂p_i) σ'(z_i); 0 where ignored or m_i = 0.
        if let gradient = outputs.gradient {
            Parallel.forEachChunk(rows, work: shape.count * 8, threshold: 1 << 16) { r in
                Self.gradientRow(
                    input.row(r), target.row(r), mask.image(r / channels, spatialCount: rowLength), rowLength,
                    a: S(a[r]), b: S(b[r]), fromLogits: fromLogits, squared: squared, ignore: ignore,
                    into: gradient + r * rowLength)
            }
        }
        return value
    }

    /// Voxels per chunk of the element loops.
    static let chunk = 4096

    /// Writes w·p·g, w·p (w·p²), w·g (w·g²) and w for `n` voxels into the four `chunk`-sized
    /// slices of `t` (w = m, or 0 where ignored; an ignored target reads as 0) and returns
    /// the number of invalid values (input, target, mask), counted without branches.
    @inline(__always)
    static func weightedTerms<S: SegScalar>(
        _ x: UnsafePointer<S>, _ g: UnsafePointer<S>, _ m: UnsafePointer<S>, _ n: Int,
        fromLogits: Bool, squared: Bool, ignore: S?, into t: UnsafeMutablePointer<S>
    ) -> Int32 {
        let hasIgnore = ignore != nil, ignoreValue = ignore ?? 0
        var problems: Int32 = 0
        for i in 0..<n {
            let xi = x[i], gi = g[i], mi = m[i]
            let ignored = ElementChecks.both(hasIgnore, gi == ignoreValue)
            let p = fromLogits ? Sigmoid(logits: xi).p : xi
            let w: S = ignored ? 0 : mi
            let gg: S = ignored ? 0 : gi
            t[i] = w * p * gg
            t[chunk + i] = w * (squared ? p * p : p)
            t[2 * chunk + i] = w * (squared ? gg * gg : gg)
            t[3 * chunk + i] = w
            problems &+= ElementChecks.badInput(xi, logits: fromLogits) &+ ElementChecks.badTarget(gg)
                &+ (1 &- (ElementChecks.bit(mi >= 0) & ElementChecks.bit(mi <= 1)))
        }
        return problems
    }

    /// One row of the gradient: m·(a·g + b·∂P/∂p)·∂p/∂x, 0 where ignored or m = 0.
    static func gradientRow<S: SegScalar>(
        _ x: UnsafePointer<S>, _ g: UnsafePointer<S>, _ m: UnsafePointer<S>, _ n: Int, a: S, b: S,
        fromLogits: Bool, squared: Bool, ignore: S?, into out: UnsafeMutablePointer<S>
    ) {
        let hasIgnore = ignore != nil, ignoreValue = ignore ?? 0
        for i in 0..<n {
            let xi = x[i], gi = g[i], mi = m[i]
            let ignored = ElementChecks.both(hasIgnore, gi == ignoreValue)
            let sigmoid = Sigmoid(logits: xi)
            let p = fromLogits ? sigmoid.p : xi
            let dp: S = fromLogits ? sigmoid.derivative : 1
            let dP: S = squared ? 2 * p : 1
            let v = mi * (a * gi + b * dP) * dp
            out[i] = ElementChecks.either(ignored, mi == 0) ? 0 : v
        }
    }

    /// Throws naming the first invalid value: mask (outside [0, 1] or NaN), then input,
    /// then target, in flat order of the rows.
    static func firstProblem<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, mask: RegionMask<S>, fromLogits: Bool, ignore: S?
    ) throws(SegLossError) {
        let shape = input.shape, rowLength = shape.spatialCount
        for r in 0..<shape.rows {
            let image = mask.batch == 1 ? 0 : r / shape.channels
            for i in 0..<rowLength {
                let mi = mask.base[image * rowLength + i], k = r * rowLength + i
                let x = input.base[k], g = target.base[k]
                if !(mi >= 0 && mi <= 1) {
                    throw .value("mask", "values must lie in [0, 1]; got \(mi) at flat index \(image * rowLength + i)")
                }
                if !(fromLogits ? x.isFinite : (x >= 0 && x <= 1)) {
                    throw .value("input", fromLogits ? "must be finite (logits); got \(x) at flat index \(k)"
                                                     : "must hold probabilities in [0, 1] with from_logits=False; got \(x) at flat index \(k)")
                }
                if let ignore, g == ignore { continue }
                if !(g >= 0 && g <= 1) {
                    let hint = ignore.map { " (ignore_index is \($0))" } ?? "; if this value marks pixels to ignore, pass ignore_index=\(g)"
                    throw .value("target", "values must lie in [0, 1]; got \(g) at flat index \(k)\(hint)")
                }
            }
        }
    }
}
