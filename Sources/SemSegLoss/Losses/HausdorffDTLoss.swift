#if canImport(Glibc)
import Glibc
#endif

// MARK: - Hausdorff distance-transform loss

/// Hausdorff-distance loss, distance-transform form (Karimi & Salcudean, "Reducing the
/// Hausdorff Distance in Medical Image Segmentation with Convolutional Neural Networks",
/// IEEE TMI 39(2), 2020, eq. 8 "HD_DT"):
///
///     ℓᵢ = (pᵢ − gᵢ)² · (d_P,ᵢ^α + d_G,ᵢ^α),     ∂ℓᵢ/∂pᵢ = 2(pᵢ − gᵢ)(d_P,ᵢ^α + d_G,ᵢ^α)
///
/// `d_G = EDT(G) + EDT(¬G)` is the unsigned distance of every voxel to the nearest voxel of
/// the other class in the target mask `G = {g > 0.5}`, and `d_P` the same for the thresholded
/// prediction `P = {p > 0.5}` (`z > 0` from logits). Both maps are recomputed on every call
/// with the exact EDT and treated as constants (no gradient through them), as in the paper
/// and MONAI's `HausdorffDTLoss` (LOSSES.md §1.8, §6.11). A row (image, channel) whose mask
/// is empty or full has no boundary: its map is 0 (MONAI guards both cases; SciPy-based
/// ports return garbage for full masks).
///
/// `alpha` (α > 0, default 2 as the paper and MONAI) sharpens the weighting of far errors.
/// Reduction is per voxel (`none` = input shape; `mean` over valid voxels of included
/// channels). MONAI's `reduction="mean"` is the same number; its `"sum"` sums per-(image,
/// channel) spatial means instead of voxels, and its `include_background` defaults to False
/// (here True, the library-wide default; binary mode has only the foreground channel).
///
/// With `logarithm` it is the log variant (MONAI `LogHausdorffDTLoss`): L = log(1 + L_HD) of
/// the reduced loss, gradient scaled by 1/(1 + L_HD); `reduction = none` is refused.
/// The paper trains `L_HD + λ·L_Dice`; combine with `dice_loss` outside (weighted sum).
public struct HausdorffDTLoss: DistanceFieldLoss {
    public var alpha: Double
    public var logarithm: Bool
    /// Voxel size per spatial axis (`nil`: 1); distances are in these units. MONAI's
    /// `HausdorffDTLoss` has no spacing argument (LOSSES.md §4.11).
    public var spacing: [Double]?

    public init(alpha: Double = 2, logarithm: Bool = false, spacing: [Double]? = nil) {
        self.alpha = alpha
        self.logarithm = logarithm
        self.spacing = spacing
    }

    var term: DistanceTerm { .squaredError }
    var needsPrediction: Bool { true }

    func validate(_ options: LossOptions) throws(SegLossError) {
        guard alpha.isFinite, alpha > 0 else {
            throw .value("alpha", "must be a finite number > 0, got \(alpha)")
        }
        if logarithm && options.reduction == .none {
            throw .option("reduction", "'none' is not available for log_hausdorff_dt_loss (the logarithm applies to the reduced loss); use hausdorff_dt_loss with reduction='none' or 'mean'/'sum' here")
        }
    }

    func fillField(_ b: DistanceFieldBuffers, rows: Int, geometry: DistanceGeometry) throws(SegLossError) {
        try b.twoSided(b.target, geometry, into: b.field)
        try b.twoSided(b.prediction, geometry, into: b.workA)
        let field = b.field, other = b.workA, a = alpha
        Parallel.forEachRange(count: b.count, chunkSize: 1 << 15, threshold: 1 << 17) { _, range in
            if a == 2 {
                for i in range {
                    let u = field[i], v = other[i]
                    field[i] = u * u + v * v
                }
            } else if a == 1 {
                for i in range { field[i] += other[i] }
            } else {
                for i in range {
                    let u = field[i], v = other[i]
                    field[i] = (u > 0 ? pow(u, a) : 0) + (v > 0 ? pow(v, a) : 0)
                }
            }
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try DistanceLossEvaluator.evaluate(self, input: input, target: target, options: options,
                                           outputs: outputs, logarithm: logarithm)
    }
}
