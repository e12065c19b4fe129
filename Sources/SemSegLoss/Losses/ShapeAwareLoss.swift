// MARK: - Shape-aware loss

/// Shape-aware loss (Al Arif, Knapp & Slabaugh, "Shape-aware deep convolutional neural
/// network for vertebrae segmentation", MICCAI MSKI workshop 2017, LNCS 10734, 2018; as
/// summarised in Jadon, "A survey of loss functions for semantic segmentation", IEEE CIBCB
/// 2020, eqs. 14–15, the SemSegLoss README entry):
///
///     ℓᵢ = (1 + λ·E) · BCE(xᵢ, gᵢ),     E = D(Ĉ, C_G) = mean_{c ∈ Ĉ} d(c, C_G)
///
/// `E`, one number per (image, channel), is the average point-to-curve Euclidean distance
/// from the contour `Ĉ` of the thresholded prediction (`p > 0.5`) to the contour `C_G` of
/// the target (`g > 0.5`): the directed average surface distance, with contours the
/// surface voxels of `SurfaceExtraction` and `d` the exact EDT. The cross-entropy of an
/// image whose predicted shape is far from the target's is weighted up; E is a constant
/// (no gradient), so ∂ℓᵢ/∂xᵢ = (1 + λE)·∂BCE/∂xᵢ. `lambda` (option `shape_weight`, λ ≥ 0, default 1; the paper's
/// weight is 1) scales the shape term: E is in voxels and can reach tens on large images.
/// Written as a weight, not as Jadon's `−Σ CE − Σ E·CE` (whose signs are a typo: both
/// terms are positive cross-entropies).
///
/// When either contour is empty (empty prediction or target row) E = 0: plain BCE.
/// Ignored voxels count as background in both masks and leave every sum. Reduction per voxel.
public struct ShapeAwareLoss: DistanceFieldLoss {
    public var lambda: Double
    /// Voxel size per spatial axis (`nil`: 1); distances are in these units.
    public var spacing: [Double]?

    public init(lambda: Double = 1, spacing: [Double]? = nil) {
        self.lambda = lambda
        self.spacing = spacing
    }

    var term: DistanceTerm { .crossEntropy }
    var needsPrediction: Bool { true }

    func validate(_ options: LossOptions) throws(SegLossError) {
        try SegLossError.requireAtLeast(lambda, 0, "shape_weight")
    }

    func fillField(_ b: DistanceFieldBuffers, rows: Int, geometry: DistanceGeometry) throws(SegLossError) {
        let n = b.rowLength, count = b.count
        guard let surfaces = DistanceScratch.allocate(UInt8.self, count: 2 * count) else {
            throw DistanceScratch.failure("input", count: 2 * count, of: "uint8")
        }
        defer { DistanceScratch.release(surfaces) }
        let predicted = surfaces, expected = surfaces + count
        let spatial = geometry.spatial
        for r in 0..<rows {
            let lo = r * n
            // Ignored voxels are already background in `target`; clear them in the prediction.
            for i in lo..<(lo + n) where b.valid[i] == 0 { b.prediction[i] = 0 }
            SurfaceExtraction.run(mask: UnsafePointer(b.prediction + lo), spatial: spatial, into: predicted + lo)
            SurfaceExtraction.run(mask: UnsafePointer(b.target + lo), spatial: spatial, into: expected + lo)
        }
        // d(·, C_G): EDT of "not on the target contour" (surface bytes are the zeros).
        try EuclideanDistanceTransform.run(mask: expected, invert: true, geometry: geometry, output: b.workA)
        let distance = b.workA, field = b.field, l = lambda
        Parallel.forEachChunk(rows, work: count, threshold: 1 << 17) { r in
            let lo = r * n, hi = lo + n
            var sum = 0.0, points = 0
            for i in lo..<hi where predicted[i] != 0 {
                sum += distance[i]
                points += 1
            }
            let e = points > 0 && sum.isFinite ? sum / Double(points) : 0
            for i in lo..<hi { field[i] = 1 + l * e }
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try DistanceLossEvaluator.evaluate(self, input: input, target: target, options: options, outputs: outputs)
    }
}
