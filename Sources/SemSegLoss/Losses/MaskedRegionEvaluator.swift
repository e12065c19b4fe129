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
            if objective.region.softLabel {
                throw .option("soft_label", "is not available with a mask (use the hard-target intersection)")
            }
        }
        let ignore = options.ignoreIndex.map { S($0) }
        let fromLogits = options.fromLogits, squared = objective.squaredSums
        let rowLength = shape.spatialCount, rows = shape.rows, channels = shape.channels

        // Pass 1: checks and weighted sums per row, each row serial (deterministic).
        var stats = [RegionStats](repeating: RegionStats(), count: rows)
        var firstBad = [(Int, String)?](repeating: nil, count: rows)
        stats.withUnsafeMutableBufferPointer { out in
            firstBad.withUnsafeMutableBufferPointer { bad in
                Parallel.forEachChunk(rows, work: shape.count * 8, threshold: 1 << 16) { r in
                    let x = input.row(r), g = target.row(r)
                    let m = mask.image(r / channels, spatialCount: rowLength)
                    var s = RegionStats()
                    for i in 0..<rowLength {
                        let xi = Double(x[i]), gi = Double(g[i]), mi = Double(m[i])
                        guard mi >= 0 && mi <= 1 else { bad[r] = (i, "mask"); break }
                        guard fromLogits ? xi.isFinite : (xi >= 0 && xi <= 1) else { bad[r] = (i, "input"); break }
                        if let ignore, g[i] == ignore { continue }
                        guard gi >= 0 && gi <= 1 else { bad[r] = (i, "target"); break }
                        let p = probabilityAndDerivative(xi, fromLogits: fromLogits).p
                        s.intersection += mi * p * gi
                        s.prediction += mi * (squared ? p * p : p)
                        s.target += mi * (squared ? gi * gi : gi)
                        s.valid += mi
                    }
                    out[r] = s
                }
            }
        }
        if let r = firstBad.firstIndex(where: { $0 != nil }), let (i, what) = firstBad[r] {
            let k = r * rowLength + i
            switch what {
            case "mask":
                let image = mask.batch == 1 ? 0 : r / channels
                throw .value("mask", "values must lie in [0, 1]; got \(mask.base[image * rowLength + i]) at flat index \(image * rowLength + i)")
            case "input":
                throw .value("input", fromLogits ? "must be finite (logits); got \(input.base[k]) at flat index \(k)"
                                                 : "must hold probabilities in [0, 1] with from_logits=False; got \(input.base[k]) at flat index \(k)")
            default:
                let hint = ignore.map { " (ignore_index is \($0))" } ?? "; if this value marks pixels to ignore, pass ignore_index=\(target.base[k])"
                throw .value("target", "values must lie in [0, 1]; got \(target.base[k]) at flat index \(k)\(hint)")
            }
        }

        // Entries and reduction, as RegionLossEvaluator.
        let region = objective.region
        let entries = RegionEntries(shape: shape, options: options, batch: region.batch)
        let pooled = entries.pool(stats, zero: RegionStats(), +)
        var terms = [RegionTerm](repeating: RegionTerm(loss: 0, dIntersection: 0, dPrediction: 0), count: entries.count)
        var included = [Bool](repeating: false, count: entries.count)
        for e in 0..<entries.count where pooled[e].valid > 0 {
            if region.emptyTarget == .skip && pooled[e].target == 0 {
                terms[e].loss = .nan
                continue
            }
            let c0 = options.firstChannel, kept = channels - c0
            terms[e] = objective.term(pooled[e], channel: region.batch ? e + c0 : e % kept + c0)
            included[e] = true
        }
        let (value, weights) = try RegionReduction.reduce(
            losses: terms.map(\.loss), included: included, options: options, outputs: outputs)

        // Pass 2: m_i (a g_i + b ∂P/∂p_i) σ'(z_i); 0 where ignored.
        if let gradient = outputs.gradient {
            let a = entries.spread(terms.indices.map { weights[$0] * terms[$0].dIntersection })
            let b = entries.spread(terms.indices.map { weights[$0] * terms[$0].dPrediction })
            Parallel.forEachChunk(rows, work: shape.count * 8, threshold: 1 << 16) { r in
                let x = input.row(r), g = target.row(r), out = gradient + r * rowLength
                let m = mask.image(r / channels, spatialCount: rowLength)
                let ar = a[r], br = b[r]
                for i in 0..<rowLength {
                    if m[i] == 0 || (ignore != nil && g[i] == ignore) {
                        out[i] = 0
                        continue
                    }
                    let (p, dp) = probabilityAndDerivative(Double(x[i]), fromLogits: fromLogits)
                    let dP = squared ? 2 * p : 1
                    out[i] = S(Double(m[i]) * (ar * Double(g[i]) + br * dP) * dp)
                }
            }
        }
        return value
    }
}
