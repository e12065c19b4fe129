// MARK: - Boundary (surface) loss

/// Boundary loss (Kervadec et al., "Boundary loss for highly unbalanced segmentation",
/// MIDL 2019 / Medical Image Analysis 67, 2021):
///
///     ℓᵢ = pᵢ · φ_G,ᵢ,     ∂ℓᵢ/∂pᵢ = φ_G,ᵢ
///
/// with `φ_G` the signed distance map of the target mask `G = {g > 0.5}` in the reference
/// convention (`SignedDistance.Convention.boundaryLoss`): outside `EDT(¬G)` (≥ 1), inside
/// `−(EDT(G) − 1)` (0 on the inner boundary layer). The map is a constant computed from the
/// target on each call (the reference precomputes it in the data loader; the values are
/// the same). An empty or full target row has φ = 0 (no signal; Kervadec's code for empty
/// classes, and no garbage for full ones, LIVIAETS/boundary-loss#18).
///
/// **Negative by design.** The minimum is reached by predicting 1 exactly on the object and
/// 0 outside, where ℓ = Σ_{i∈G} φᵢ ≤ 0; values below 0 are expected (boundary-loss#17, #35).
/// Used alone it drives the prediction toward an empty foreground (#20): pair it with a
/// region loss, as the paper does, `L = L_GDL + α·L_B` (generalized Dice), with α = 0.01 at
/// the start and increased by 0.01 per epoch (the "rebalance" schedule), or
/// `(1 − α)·L_GDL + α·L_B`. For binary problems use the foreground channel only (the
/// default in binary mode; multilabel with `include_background=False` drops channel 0,
/// whose |φ| can reach hundreds, #12).
///
/// **Scale.** φ is in voxels (or `spacing` units), so the loss grows with the image and the
/// object; `normalization` rescales the map (`BoundaryMapNormalization`; boundary-loss#25,
/// #18): by its largest |φ| per (image, class), or by the image diagonal.
///
/// Reduction per voxel (`none` = input shape, `mean` over valid voxels of included channels).
/// Ignored voxels count as background when the target map is built and leave every sum.
public struct BoundaryLoss: DistanceFieldLoss {
    /// Voxel size per spatial axis (`nil`: 1); distances are in these units. The "− 1" inside
    /// stays one unit, as BL's `one_hot2dist` with `resolution`.
    public var spacing: [Double]?
    /// How φ is scaled (default: not at all, as the paper).
    public var normalization: BoundaryMapNormalization

    public init(spacing: [Double]? = nil, normalization: BoundaryMapNormalization = .none) {
        self.spacing = spacing
        self.normalization = normalization
    }

    var term: DistanceTerm { .linear }
    var needsPrediction: Bool { false }

    func validate(_ options: LossOptions) throws(SegLossError) {}

    func fillField(_ b: DistanceFieldBuffers, rows: Int, geometry: DistanceGeometry) throws(SegLossError) {
        try b.twoSided(b.target, geometry, into: b.field, zeroDegenerate: false)
        let field = b.field, mask = b.target
        Parallel.forEachRange(count: b.count, chunkSize: 1 << 15, threshold: 1 << 17) { _, range in
            for i in range {
                let e = field[i]  // e_in on the object, e_out outside
                field[i] = e == .infinity ? 0 : (mask[i] != 0 ? 1 - e : e)
            }
        }
        normalization.apply(to: field, rows: rows, rowLength: b.rowLength, diagonal: geometry.imageDiagonal)
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try DistanceLossEvaluator.evaluate(self, input: input, target: target, options: options, outputs: outputs)
    }
}

// MARK: - Scaling the map

/// How `BoundaryLoss` scales its signed distance map φ (a constant of the gradient, so the
/// loss and its gradient are scaled alike).
///
/// The paper leaves φ in voxels: the loss then depends on the image size (a 512² image has
/// maps 4× larger than its 128² version), and a weight α tuned on one dataset does not carry
/// over (boundary-loss#25: "dataset-dependent; some users needed it"; #18 suggests the image
/// diagonal).
public enum BoundaryMapNormalization: Int32, Sendable, CaseIterable {
    /// φ as computed (voxels, or `spacing` units). Default.
    case none = 0
    /// φ / max |φ| over each (image, class) map (multiplied by the reciprocal): values in
    /// [−1, 1] whatever the size of the image and of the object; a map that is 0 everywhere
    /// (empty or full target) stays 0.
    case maximum = 1
    /// φ / D with D = √(Σ (nᵢ·sᵢ)²) the image diagonal (sizes nᵢ, spacing sᵢ): one factor
    /// for the whole batch, so images keep their relative scale; values in (−1, 1).
    case diagonal = 2

    /// The option's name in messages and in Python (`normalize_map=`).
    public var name: String {
        switch self {
        case .none: "none"
        case .maximum: "max"
        case .diagonal: "diagonal"
        }
    }

    /// Scales `rows` consecutive maps of `rowLength` values in place.
    func apply(to field: UnsafeMutablePointer<Double>, rows: Int, rowLength: Int, diagonal: Double) {
        switch self {
        case .none:
            return
        case .diagonal:
            let scale = 1 / diagonal
            for i in 0..<(rows * rowLength) { field[i] *= scale }
        case .maximum:
            for r in 0..<rows {
                let row = field + r * rowLength
                var largest = 0.0
                for i in 0..<rowLength {  // a select (not Swift.max) keeps the loop vectorised
                    let m = Swift.abs(row[i])
                    largest = m > largest ? m : largest
                }
                guard largest > 0 else { continue }
                let scale = 1 / largest
                for i in 0..<rowLength { row[i] *= scale }
            }
        }
    }
}
