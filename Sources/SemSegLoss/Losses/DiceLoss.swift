// MARK: - Dice loss

/// Soft Dice loss (Milletari et al., "V-Net", 3DV 2016; Sudre et al. 2017 for the soft form).
///
///     D = (2·TP + s_n) / (P + G + s_d),   ℓ = 1 − D
///     ∂ℓ/∂TP = −2/U,  ∂ℓ/∂P = (2·TP + s_n)/U²,  U = P + G + s_d
///
/// so ∂ℓ/∂p_i = [(2TP + s_n) − 2g_i·U]/U² (LOSSES.md §6.1). With `squaredPrediction`
/// (MONAI `squared_pred`, V-Net) P = Σp² and G = Σg², and ∂P/∂p_i = 2p_i.
///
/// Empty target (G = 0): D = s_n/(P + s_d), i.e. loss 0 when nothing is predicted and
/// ~1 with ~0 gradient otherwise for small smoothing; see `EmptyTargetPolicy`.
/// Reference values (LOSSES.md §6.13): p = (0.9, 0.2, 0.7, 0.1), g = (1, 0, 1, 0),
/// s = 0 gives 0.179487.
/// `region.softLabel` uses TP = Σ min(p, g) (MONAI `soft_label`), so that with soft
/// targets the loss is minimal at p = g; ∂ℓ/∂p_i then has 1[p_i < g_i] in place of g_i.
public struct DiceLoss: RegionObjective {
    public var region: RegionOptions
    /// V-Net squared denominator Σp² + Σg² (MONAI `squared_pred`).
    public var squaredPrediction: Bool

    public init(region: RegionOptions = RegionOptions(), squaredPrediction: Bool = false) {
        self.region = region
        self.squaredPrediction = squaredPrediction
    }

    public var squaredSums: Bool { squaredPrediction }

    public func validate() throws(SegLossError) { try region.validate(classWeights: true) }

    @inlinable
    public func term(_ s: RegionStats) -> RegionTerm {
        let num = 2 * s.intersection + region.smoothNumerator
        let u = s.prediction + s.target + region.smoothDenominator
        guard u > 0 else { return RegionTerm(loss: 0, dIntersection: 0, dPrediction: 0) }
        // 1 − D written as (FP + FN + s_d − s_n)/U, FP + FN = P + G − 2TP ≥ 0: no rounding
        // below 0 when prediction and target agree.
        let mismatch = max(s.prediction + s.target - 2 * s.intersection, 0)
        let loss = (mismatch + region.smoothDenominator - region.smoothNumerator) / u
        return RegionTerm(loss: loss, dIntersection: -2 / u, dPrediction: num / (u * u))
    }
}

// MARK: - Jaccard loss

/// Soft Jaccard (IoU) loss (Rahman & Wang 2016):
///
///     J = (TP + s_n) / V,  V = P + G − TP + s_d,   ℓ = 1 − J
///     ∂ℓ/∂TP = −1/V − (TP + s_n)/V²,   ∂ℓ/∂P = (TP + s_n)/V²
///
/// (LOSSES.md §6.2). Unlike SemSegLoss's unsmoothed `jacard_loss` (NaN when prediction
/// and target are both empty, zero gradient on empty targets), the smoothing here keeps it
/// finite: both empty gives J = s_n/s_d = 1 with the default equal smoothing.
/// This is the standard |A∩B|/|A∪B| form; MONAI's `jaccard=True` uses
/// (2TP + s_n)/(2(P + G − TP) + s_d), which halves the smoothing.
public struct JaccardLoss: RegionObjective {
    public var region: RegionOptions
    public var squaredPrediction: Bool

    public init(region: RegionOptions = RegionOptions(), squaredPrediction: Bool = false) {
        self.region = region
        self.squaredPrediction = squaredPrediction
    }

    public var squaredSums: Bool { squaredPrediction }

    public func validate() throws(SegLossError) { try region.validate(classWeights: true) }

    @inlinable
    public func term(_ s: RegionStats) -> RegionTerm {
        let num = s.intersection + region.smoothNumerator
        let v = s.prediction + s.target - s.intersection + region.smoothDenominator
        guard v > 0 else { return RegionTerm(loss: 0, dIntersection: 0, dPrediction: 0) }
        let mismatch = max(s.prediction + s.target - 2 * s.intersection, 0)  // FP + FN
        let loss = (mismatch + region.smoothDenominator - region.smoothNumerator) / v
        return RegionTerm(loss: loss, dIntersection: -1 / v - num / (v * v), dPrediction: num / (v * v))
    }
}
