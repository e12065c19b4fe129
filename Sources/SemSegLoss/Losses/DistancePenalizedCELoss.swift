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
    /// Voxel size per spatial axis (`nil`: 1); distances are in these units.
    public var spacing: [Double]?

    public init(spacing: [Double]? = nil) { self.spacing = spacing }

    var term: DistanceTerm { .crossEntropy }
    var needsPrediction: Bool { false }

    func validate(_ options: LossOptions) throws(SegLossError) {}

    func fillField(_ b: DistanceFieldBuffers, rows: Int, geometry: DistanceGeometry) throws(SegLossError) {
        try b.twoSided(b.target, geometry, into: b.workA, zeroDegenerate: false)
        let n = b.rowLength
        // The two-sided field is e_in on the object and e_out outside (one array).
        let inside = b.workA, mask = b.target, valid = b.valid, field = b.field
        Parallel.forEachChunk(rows, work: b.count, threshold: 1 << 17) { r in
            let lo = r * n, hi = lo + n
            // Extremes of e per side over the valid voxels with a finite distance
            // (branch-free selects: the loops vectorise).
            var maxIn = -Double.infinity, minIn = Double.infinity
            var maxOut = -Double.infinity, minOut = Double.infinity
            for i in lo..<hi {
                let e = inside[i]
                let counted = ElementChecks.both(valid[i] != 0, e - e == 0)
                let isIn = ElementChecks.both(counted, mask[i] != 0)
                let isOut = ElementChecks.both(counted, mask[i] == 0)
                maxIn = Swift.max(maxIn, isIn ? e : -.infinity)
                minIn = Swift.min(minIn, isIn ? e : .infinity)
                maxOut = Swift.max(maxOut, isOut ? e : -.infinity)
                minOut = Swift.min(minOut, isOut ? e : .infinity)
            }
            // Φ = a·e + b per side, clamped to [0, 1]: (top − e)/span; 1 when span = 0; 0
            // when the side has no finite distance (empty or full target).
            func line(_ top: Double, _ low: Double) -> (Double, Double) {
                guard top.isFinite else { return (0, 0) }
                let span = top - low
                return span > 0 ? (-1 / span, top / span) : (0, 1)
            }
            let (aIn, bIn) = line(maxIn, minIn), (aOut, bOut) = line(maxOut, minOut)
            for i in lo..<hi {
                let e = inside[i]
                let isIn = mask[i] != 0
                let a = isIn ? aIn : aOut, c = isIn ? bIn : bOut
                let finite = e - e == 0
                let phi = Swift.min(Swift.max(a * (finite ? e : 0) + c, 0), 1)
                field[i] = 1 + (finite ? phi : 0)
            }
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try DistanceLossEvaluator.evaluate(self, input: input, target: target, options: options, outputs: outputs)
    }
}
