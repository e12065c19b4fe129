// MARK: - Distance-map penalized cross-entropy

/// Distance-map penalized cross-entropy (Caliva et al., "Distance Map Loss Penalty Term for
/// Semantic Segmentation", MIDL 2019 extended abstract):
///
///     ℓᵢ = (1 + Φᵢ) · BCE(xᵢ, gᵢ),     ∂ℓᵢ/∂xᵢ = (1 + Φᵢ) · ∂BCE/∂xᵢ
///
/// `Φ` is the normalised, inverted distance map of the target `G = {g > 0.5}`, computed per
/// (image, channel) and separately inside and outside the object, so that voxels next to
/// the boundary weigh most:
///
///     inside:  Φᵢ = (M − eᵢ)/(M − m),  eᵢ = EDT(G)ᵢ,   M, m = max, min of e over G
///     outside: the same with EDT(¬G) over ¬G
///
/// i.e. Φ = 1 on the boundary layers and 0 on the voxels farthest from the boundary, Φ ∈
/// [0, 1] and the weight in [1, 2]. This is SegLoss's `compute_edts_forPenalizedLoss`
/// ((max − e)·mask / max of that) with two fixes (LOSSES.md §1.2): the weight is actually
/// applied (SegLoss returns the plain CE), and a side whose voxels are all at the same
/// distance gets Φ = 1 instead of 0/0. A row with an empty or full target has no boundary:
/// Φ = 0 there (plain BCE). Max and min run over valid (non-ignored) voxels.
///
/// BCE from logits is the stable form of `BCELoss`; from probabilities p is clamped to
/// [1e−7, 1 − 1e−7] inside the logs. Reduction per voxel.
public struct DistancePenalizedCELoss: DistanceFieldLoss {
    public init() {}

    var term: DistanceTerm { .crossEntropy }
    var needsPrediction: Bool { false }

    func validate(_ options: LossOptions) throws(SegLossError) {}

    func fillField(_ b: DistanceFieldBuffers, rows: Int, geometry: DistanceGeometry) throws(SegLossError) {
        try b.twoSided(b.target, geometry, into: b.workA, zeroDegenerate: false)
        let n = b.rowLength
        // The two-sided field is e_in on the object and e_out outside.
        let inside = b.workA, outside = b.workA, mask = b.target, valid = b.valid, field = b.field
        Parallel.forEachChunk(rows, work: b.count, threshold: 1 << 17) { r in
            let lo = r * n, hi = lo + n
            var maxIn = -Double.infinity, minIn = Double.infinity
            var maxOut = -Double.infinity, minOut = Double.infinity
            for i in lo..<hi where valid[i] != 0 {
                if mask[i] != 0 {
                    let e = inside[i]
                    if e.isFinite { maxIn = Swift.max(maxIn, e); minIn = Swift.min(minIn, e) }
                } else {
                    let e = outside[i]
                    if e.isFinite { maxOut = Swift.max(maxOut, e); minOut = Swift.min(minOut, e) }
                }
            }
            let spanIn = maxIn - minIn, spanOut = maxOut - minOut
            for i in lo..<hi {
                let isIn = mask[i] != 0
                let e = isIn ? inside[i] : outside[i]
                let top = isIn ? maxIn : maxOut, span = isIn ? spanIn : spanOut
                let phi: Double
                if !e.isFinite || !top.isFinite {
                    phi = 0
                } else if span > 0 {
                    phi = Swift.min(Swift.max((top - e) / span, 0), 1)
                } else {
                    phi = 1
                }
                field[i] = 1 + phi
            }
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try DistanceLossEvaluator.evaluate(self, input: input, target: target, options: options, outputs: outputs)
    }
}
