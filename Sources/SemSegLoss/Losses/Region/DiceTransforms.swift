#if canImport(Glibc)
import Glibc
#endif

// MARK: - Log-cosh Dice loss

/// Log-cosh Dice loss (Jadon, "A survey of loss functions for semantic segmentation",
/// CIBCB 2020; SemSegLoss `log_cosh_dice_loss`):
///
///     x = 1 − D,  D = (2·TP + s_n)/(P + G + s_d)   (`DiceLoss`)
///     ℓ = ln cosh(x) = |x| + log1p(e^(−2|x|)) − ln 2
///     ∂ℓ/∂p_i = tanh(x)·∂x/∂p_i = tanh(1 − D)·[(2TP + s_n) − 2g_i·U]/U²
///
/// (LOSSES.md §6.5). The second form of ℓ never overflows (cosh does for |x| > 710, which
/// smoothing s_n > s_d can produce) and keeps full relative precision near 0, where
/// ℓ ≈ x²/2. Since x ∈ [0, 1] for s_n ≤ s_d, tanh(x) ≤ 0.762: the gradient is the Dice
/// gradient scaled down, and vanishes as the prediction becomes perfect.
/// SemSegLoss pools the whole batch and every channel into one Dice with s = 1 ("micro");
/// here it is per (image, class) like `DiceLoss`, with the same options (`batch`,
/// smoothing, `squaredPrediction`, empty-target policy).
/// Reference (LOSSES.md §6.13, s = 0): p = (0.9, 0.2, 0.7, 0.1), g = (1, 0, 1, 0) gives
/// 0.016022.
public struct LogCoshDiceLoss: RegionObjective {
    public var dice: DiceLoss

    public init(region: RegionOptions = RegionOptions(), squaredPrediction: Bool = false) {
        dice = DiceLoss(region: region, squaredPrediction: squaredPrediction)
    }

    public var region: RegionOptions { dice.region }
    public var squaredSums: Bool { dice.squaredSums }

    public func validate() throws(SegLossError) { try dice.validate() }

    @inlinable
    public func term(_ s: RegionStats) -> RegionTerm {
        let d = dice.term(s)
        let x = d.loss, ax = abs(x)
        let value = ax + log1p(exp(-2 * ax)) - M_LN2
        let slope = tanh(x)
        return RegionTerm(loss: value, dIntersection: slope * d.dIntersection, dPrediction: slope * d.dPrediction)
    }
}

// MARK: - Log Dice loss

/// Logarithmic Dice loss (segmentation_models_pytorch `DiceLoss(log_loss=True)`):
///
///     ℓ = −ln(max(D, ε)),  D = (2·TP + s_n)/U,  U = P + G + s_d
///     ∂ℓ/∂p_i = −(1/D)·∂D/∂p_i = [(2TP + s_n) − 2g_i·U] / (U·(2TP + s_n))   (D > ε)
///
/// (LOSSES.md §6.1). The clamp at ε = `eps` (default 1e-7, smp's) bounds the loss by
/// −ln ε ≈ 16.1 when D → 0 (a target that is missed entirely, or an empty target with
/// false positives and small smoothing); below the clamp the gradient is 0, as in smp's
/// `clamp_min`. With s_n > s_d, D can exceed 1 and the loss is then negative.
/// Unlike smp (always batch-pooled, empty classes masked to 0), the entries are
/// (image, class) pairs by default, with the usual `batch` and empty-target options.
public struct LogDiceLoss: RegionObjective {
    public var dice: DiceLoss
    public var eps: Double

    public init(region: RegionOptions = RegionOptions(), squaredPrediction: Bool = false, eps: Double = 1e-7) {
        dice = DiceLoss(region: region, squaredPrediction: squaredPrediction)
        self.eps = eps
    }

    public var region: RegionOptions { dice.region }
    public var squaredSums: Bool { dice.squaredSums }

    public func validate() throws(SegLossError) {
        try dice.validate()
        try SegLossError.requireInRange(eps, 0, 1, "eps")
        if eps == 0 && region.smoothNumerator == 0 {
            throw .value("eps", "must be > 0 when smooth_nr = 0 (ln 0 is infinite for a missed target)")
        }
    }

    @inlinable
    public func term(_ s: RegionStats) -> RegionTerm {
        let num = 2 * s.intersection + dice.region.smoothNumerator
        let u = s.prediction + s.target + dice.region.smoothDenominator
        guard u > 0 else { return RegionTerm(loss: 0, dIntersection: 0, dPrediction: 0) }
        let d = num / u
        guard d > eps else { return RegionTerm(loss: -log(eps), dIntersection: 0, dPrediction: 0) }
        // ℓ = ln U − ln(2TP + s_n): ∂ℓ/∂TP = −2/num, ∂ℓ/∂P = 1/U.
        return RegionTerm(loss: -log(d), dIntersection: -2 / num, dPrediction: 1 / u)
    }
}
