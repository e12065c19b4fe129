// MARK: - Tversky loss

/// Tversky loss (Salehi et al., "Tversky loss function for image segmentation using 3D
/// fully convolutional deep networks", MLMI 2017).
///
///     T = (TP + s_n) / W,  W = TP + α·FP + β·FN + s_d,  FP = P − TP,  FN = G − TP
///     ℓ = 1 − T
///
/// `alpha` (α) weighs false positives and `beta` (β) false negatives — the MONAI / smp
/// meaning. SemSegLoss (`tversky_index`, where "alpha = 0.7" weighs FN) and the focal
/// Tversky paper (Abraham & Khan 2019) use the opposite letters: their α = 0.7 is our
/// `beta = 0.7`. Defaults α = 0.3, β = 0.7 (the papers' and SemSegLoss's weighting).
/// α = β = 0.5 gives Dice with smoothing 2s; α = β = 1 gives Jaccard (LOSSES.md §6.3).
/// `region.softLabel`: TP = Σ min(p, g) (MONAI `soft_label`, see `RegionOptions`).
public struct TverskyLoss: RegionObjective {
    public var region: RegionOptions
    public var alpha: Double
    public var beta: Double

    public init(alpha: Double = 0.3, beta: Double = 0.7, region: RegionOptions = RegionOptions()) {
        self.alpha = alpha
        self.beta = beta
        self.region = region
    }

    public func validate() throws(SegLossError) {
        try region.validate(classWeights: true)
        try SegLossError.requireAtLeast(alpha, 0, "alpha")
        try SegLossError.requireAtLeast(beta, 0, "beta")
    }

    /// 1 − T and the partials ∂T/∂TP, ∂T/∂P, using W = (1 − α − β)TP + αP + βG + s_d.
    /// 1 − T is evaluated as (α·FP + β·FN + s_d − s_n)/W with FP, FN ≥ 0, so it cannot
    /// round below 0 when prediction and target agree.
    @inlinable
    func complement(_ s: RegionStats) -> (oneMinusT: Double, dTP: Double, dP: Double) {
        let num = s.intersection + region.smoothNumerator
        let w = (1 - alpha - beta) * s.intersection + alpha * s.prediction + beta * s.target
            + region.smoothDenominator
        guard w > 0 else { return (0, 0, 0) }
        let fp = max(s.prediction - s.intersection, 0), fn = max(s.target - s.intersection, 0)
        let oneMinusT = (alpha * fp + beta * fn + region.smoothDenominator - region.smoothNumerator) / w
        return (oneMinusT, 1 / w - num * (1 - alpha - beta) / (w * w), -num * alpha / (w * w))
    }

    @inlinable
    public func term(_ s: RegionStats) -> RegionTerm {
        let (loss, dt, dp) = complement(s)
        return RegionTerm(loss: loss, dIntersection: -dt, dPrediction: -dp)
    }
}

// MARK: - Focal Tversky loss

/// Focal Tversky loss (Abraham & Khan, "A novel focal Tversky loss function with improved
/// attention U-Net for lesion segmentation", ISBI 2019), applied **per class** as in the
/// paper (smp and SegLoss apply the exponent after the class mean; SemSegLoss to a micro
/// index — they coincide only for one class):
///
///     ℓ_c = max(1 − T_c, ε)^γ,   ∂ℓ_c/∂T_c = −γ·(1 − T_c)^(γ−1)  (0 where 1 − T_c ≤ ε)
///
/// `gamma` is the exponent itself: the paper's 1/γ with γ = 4/3, i.e. 0.75 (default, as
/// SemSegLoss). For γ < 1 the derivative diverges as T → 1 (the NaN of SemSegLoss issue #2);
/// the floor ε = `floor` (default 1e-7) keeps it finite. Letters as in `TverskyLoss`.
public struct FocalTverskyLoss: RegionObjective {
    public var tversky: TverskyLoss
    public var gamma: Double
    public var floor: Double

    public init(
        alpha: Double = 0.3, beta: Double = 0.7, gamma: Double = 0.75, floor: Double = 1e-7,
        region: RegionOptions = RegionOptions()
    ) {
        self.tversky = TverskyLoss(alpha: alpha, beta: beta, region: region)
        self.gamma = gamma
        self.floor = floor
    }

    public var region: RegionOptions { tversky.region }

    public func validate() throws(SegLossError) {
        try tversky.validate()
        try SegLossError.requireAtLeast(gamma, 0, "gamma")
        try SegLossError.requireInRange(floor, 0, 1, "floor")
        if gamma < 1 && floor == 0 {
            throw .value("floor", "must be > 0 when gamma < 1 (got gamma=\(gamma)): the gradient is infinite at a perfect prediction")
        }
    }

    @inlinable
    public func term(_ s: RegionStats) -> RegionTerm {
        let (base, dt, dp) = tversky.complement(s)
        let (value, dBase) = clampedPower(base, gamma: gamma, floor: floor)
        // ℓ = f(1 − T): ∂ℓ/∂x = f'(1 − T)·(−∂T/∂x)
        return RegionTerm(loss: value, dIntersection: -dBase * dt, dPrediction: -dBase * dp)
    }
}
