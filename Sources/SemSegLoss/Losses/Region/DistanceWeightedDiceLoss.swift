#if canImport(Glibc)
import Glibc
#endif

// MARK: - Distance-weighted Dice loss

/// Distance-map weighted Dice loss: SegLoss's `DistBinaryDiceLoss` ("distance map
/// penalized Dice", after Caliva et al., "Distance Map Loss Penalty Term for Semantic
/// Segmentation", MIDL 2019), per (image, class) entry:
///
///     D = (2·Σ p g w + s_n) / (Σ p + Σ g + s_d),   ℓ = 1 − D,   w = 1 + Φ
///     ∂ℓ/∂p_i = −2·g_i·w_i/U + (2·TP_w + s_n)/U²,   U = Σ p + Σ g + s_d,  TP_w = Σ p g w
///
/// `Φ` is the normalised, inverted distance map of the target `G = {g > 0.5}` of the entry's
/// row, the same map as `DistancePenalizedCELoss` (1 on the boundary layers inside and
/// outside the object, 0 on the voxels farthest from the boundary; recomputed on every call
/// and held constant in the gradient, as SegLoss computes it under `no_grad`). Only the
/// intersection is weighted, so a correct prediction near the boundary earns up to twice
/// the credit of one deep inside the object.
///
/// Differences from SegLoss, which only accepts 2-channel 3-D softmax input:
/// - SegLoss normalises the two sides by max(max − e); a side whose voxels all lie at the
///   same distance (a one-voxel-thin object, a single voxel) gives 0/0 there and the loss
///   is NaN, as is an empty or full target. Here such a side has Φ = 1 (every voxel is on
///   the boundary), and a row with an empty or full target has Φ = 0 (plain Dice).
/// - Binary, multilabel and multiclass modes (softmax with label maps: 2 channels with
///   `include_background=False` reproduces SegLoss), 2-D and 3-D, `ignore_index`
///   (ignored voxels leave every sum and count as background for the map), `batch`.
///
/// The weighted intersection can exceed (P + G)/2, so D can exceed 1: a perfect prediction
/// gives ℓ = 1 − (2·Σ_G w + s_n)/(2|G| + s_d) ∈ [−1, 0], not 0. That is SegLoss's value;
/// at p = g the gradient still pushes every foreground voxel up and every background voxel
/// down (∂ℓ/∂p_i < 0 where g_i = 1, since w_i ≥ 1 and Σ_G w ≤ 2|G|; > 0 where g_i = 0).
public struct DistanceWeightedDiceLoss: Sendable {
    /// Smoothing, `batch` and the empty-target policy (`soft_label` is not accepted).
    public var region: RegionOptions
    /// Voxel size per spatial axis (`nil`: 1) of the distance maps before their
    /// normalisation by the row's largest distance: only anisotropy changes the weights.
    public var spacing: [Double]?

    public init(region: RegionOptions = RegionOptions(), spacing: [Double]? = nil) {
        self.region = region
        self.spacing = spacing
    }

    public func validate() throws(SegLossError) { try region.validate() }

    /// ℓ and its partials (∂ℓ/∂TP_w, ∂ℓ/∂P) of one entry.
    public func term(weightedIntersection tp: Double, prediction: Double, target: Double) -> RegionTerm {
        let u = prediction + target + region.smoothDenominator
        guard u > 0 else { return RegionTerm(loss: 0, dIntersection: 0, dPrediction: 0) }
        let num = 2 * tp + region.smoothNumerator
        return RegionTerm(loss: 1 - num / u, dIntersection: -2 / u, dPrediction: num / (u * u))
    }

    // MARK: Evaluation (binary / multilabel; multiclass through `MulticlassAdapter`)

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        let shape = input.shape
        try options.validateDense(input: shape, target: target.shape) { () throws(SegLossError) in try validate() }
        let ignore = options.ignoreIndex.map { S($0) }
        let geometry = try DistanceGeometry(batch: shape.rows, spatial: Array(shape.spatial), spacing: spacing,
                                            maskArgument: "input", spacingArgument: "spacing")
        let total = shape.count, rowLength = shape.spatialCount, rows = shape.rows
        guard let bytes = DistanceScratch.allocate(UInt8.self, count: 2 * total) else {
            throw DistanceScratch.failure("input", count: 2 * total, of: "uint8")
        }
        defer { DistanceScratch.release(bytes) }
        let masks = DistanceMasks(target: bytes, prediction: nil, valid: bytes + total)
        _ = try DistanceLossChecks.validate(input: input, target: target, options: options, ignore: ignore, masks: masks)

        // The weights w = 1 + Φ of the whole batch, and the transform's work buffer.
        guard let doubles = DistanceScratch.allocate(Double.self, count: 2 * total) else {
            throw DistanceScratch.failure("input", count: 2 * total, of: "float64")
        }
        defer { DistanceScratch.release(doubles) }
        let weights = doubles
        try DistancePenalizedCELoss().fillField(
            DistanceFieldBuffers(count: total, target: masks.target, prediction: masks.target, valid: masks.valid,
                                 field: weights, workA: doubles + total, workB: doubles + total, rowLength: rowLength),
            rows: rows, geometry: geometry)

        // Pass 1: sums per row, in chunks: branch-free element loops in S, lane sums per
        // chunk, then Double in order (deterministic).
        var sums = [RegionStats](repeating: RegionStats(), count: rows)
        let fromLogits = options.fromLogits, valid = masks.valid
        let chunk = 4096
        sums.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(rows, work: total * 8, threshold: 1 << 16) { r in
                withUnsafeTemporaryAllocation(of: S.self, capacity: 4 * chunk) { t in
                    let buffer = t.baseAddress!
                    var s = RegionStats()  // intersection = TP_w
                    var lo = r * rowLength
                    let end = lo + rowLength
                    while lo < end {
                        let n = Swift.min(chunk, end - lo)
                        for k in 0..<n {
                            let i = lo + k
                            let x = input.base[i]
                            let p = fromLogits ? Sigmoid(logits: x).p : x
                            let on: S = valid[i] != 0 ? 1 : 0
                            let g = on * (valid[i] != 0 ? target.base[i] : 0)
                            buffer[k] = p * g * S(weights[i])
                            buffer[chunk + k] = on * p
                            buffer[2 * chunk + k] = g
                            buffer[3 * chunk + k] = on
                        }
                        s.intersection += BlockSums.sum(buffer, n)
                        s.prediction += BlockSums.sum(buffer + chunk, n)
                        s.target += BlockSums.sum(buffer + 2 * chunk, n)
                        s.valid += BlockSums.sum(buffer + 3 * chunk, n)
                        lo += n
                    }
                    out[r] = s
                }
            }
        }

        // Entries and reduction.
        let entries = RegionEntries(shape: shape, options: options, batch: region.batch)
        let pooled = entries.pool(sums, zero: RegionStats(), +)
        let (value, a, b) = try RegionReduction.reduceTerms(
            entries: entries, pooled: pooled, emptyTarget: region.emptyTarget, options: options, outputs: outputs
        ) { s, _ in term(weightedIntersection: s.intersection, prediction: s.prediction, target: s.target) }

        // Pass 2: ∂L/∂p_i = a_r·g_i·w_i + b_r, times σ'(z_i) from logits; 0 where ignored.
        if let gradient = outputs.gradient {
            Parallel.forEachChunk(rows, work: total * 8, threshold: 1 << 16) { r in
                let ar = S(a[r]), br = S(b[r])
                for i in (r * rowLength)..<((r + 1) * rowLength) {
                    let x = input.base[i]
                    let dp: S = fromLogits ? Sigmoid(logits: x).derivative : 1
                    let g: S = valid[i] != 0 ? target.base[i] : 0
                    let v = (ar * g * S(weights[i]) + br) * dp
                    gradient[i] = valid[i] != 0 ? v : 0
                }
            }
        }
        return value
    }
}
