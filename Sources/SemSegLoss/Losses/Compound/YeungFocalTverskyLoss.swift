// MARK: - Asymmetric and symmetric focal Tversky loss (Yeung et al. 2022)

/// The focal Tversky parts of the unified focal loss (Yeung et al., CMIG 2022; LOSSES.md
/// §2 rows 31–32, §6.4):
///
///     mTI_k = (TP_k + s_n) / (TP_k + δ·FN_k + (1 − δ)·FP_k + s_d)
///     asymmetric:  ℓ = mean_k [ (1 − mTI_bg),  max(1 − mTI_fg, ε)^(1−γ) ]
///     symmetric:   ℓ = mean_k [ max(1 − mTI_k, ε)^(1−γ) ]
///
/// per (image, class) — the exponent is applied per class, before the mean, as in the
/// paper and UFL (LOSSES.md §4.10). δ weighs false **negatives** and 1 − δ false positives
/// (UFL and MONAI's letter; it is `beta = δ, alpha = 1 − δ` of `TverskyLoss`, LOSSES.md
/// §4.9). `gamma` is UFL's γ: the exponent is 1 − γ, so γ ∈ [0, 1] (UFL defaults δ = 0.7,
/// γ = 0.75). For γ > 0 the derivative (1 − γ)(1 − mTI)^(−γ) diverges as mTI → 1; the base
/// is clamped at ε = `floor` (default 1e-7), below which the gradient is 0.
///
/// Classes:
/// * binary mode, and each channel of multilabel mode: the channel holds the foreground
///   probability p; the background is 1 − p with target 1 − g, whose sums follow from the
///   foreground's: TP_bg = V − P − G + TP, P_bg = V − P, G_bg = V − G (V = valid voxels).
///   One entry per (image, channel) is the mean of the background and foreground terms —
///   exactly UFL's two-channel (bg, fg) loss for the probabilities (1 − p, p).
/// * multiclass mode (`exclusiveClasses`): channel 0 is the background, every other
///   channel a foreground class; one entry per (image, class), averaged over all of them
///   (the generalisation proposed in MONAI PR #8607; UFL and MONAI hard-code 2 channels).
///
/// Empty masks are ordinary entries (their value follows from the smoothing): MONAI's
/// unified focal raises ValueError when a batch has no foreground (LOSSES.md §1.3).
public struct YeungFocalTverskyLoss: RegionObjective {
    public var variant: UnifiedFocalVariant
    /// Weight of false negatives (1 − δ on false positives), in [0, 1].
    public var delta: Double
    /// UFL's γ ∈ [0, 1]; the exponent is 1 − γ.
    public var gamma: Double
    /// Lower clamp of the base 1 − mTI of the focal terms.
    public var floor: Double
    public var region: RegionOptions
    /// `true`: channels are exclusive classes, channel 0 the background (multiclass mode).
    public var exclusiveClasses: Bool

    public init(
        variant: UnifiedFocalVariant = .asymmetric, delta: Double = 0.7, gamma: Double = 0.75,
        floor: Double = 1e-7, region: RegionOptions = RegionOptions(), exclusiveClasses: Bool = false
    ) {
        self.variant = variant
        self.delta = delta
        self.gamma = gamma
        self.floor = floor
        self.region = region
        self.exclusiveClasses = exclusiveClasses
    }

    var tversky: TverskyLoss { TverskyLoss(alpha: 1 - delta, beta: delta, region: region) }

    public func validate() throws(SegLossError) {
        try region.validate()
        try CompoundParts.requireUnit(delta, "delta")
        try CompoundParts.requireUnit(gamma, "gamma")
        try CompoundParts.requireUnit(floor, "floor")
        if gamma > 0 && floor == 0 {
            throw .value("floor", "must be > 0 when gamma > 0 (got gamma=\(gamma)): the exponent 1 - gamma < 1 makes the gradient infinite at a perfect prediction")
        }
    }

    /// 1 − T (`focal` false) or max(1 − T, ε)^(1−γ), with partials in TP and P.
    func classTerm(_ s: RegionStats, focal: Bool) -> RegionTerm {
        let (base, dt, dp) = tversky.complement(s)
        guard focal else { return RegionTerm(loss: base, dIntersection: -dt, dPrediction: -dp) }
        let (value, dBase) = clampedPower(base, gamma: 1 - gamma, floor: floor)
        return RegionTerm(loss: value, dIntersection: -dBase * dt, dPrediction: -dBase * dp)
    }

    /// A foreground channel (binary / multilabel meaning when not `exclusiveClasses`).
    public func term(_ s: RegionStats) -> RegionTerm { term(s, channel: 1) }

    public func term(_ s: RegionStats, channel: Int) -> RegionTerm {
        let backgroundFocal = variant == .symmetric
        if exclusiveClasses { return classTerm(s, focal: channel > 0 || backgroundFocal) }
        let fg = classTerm(s, focal: true)
        let complement = RegionStats(
            intersection: max(s.valid - s.prediction - s.target + s.intersection, 0),
            prediction: s.valid - s.prediction, target: s.valid - s.target, valid: s.valid)
        let bg = classTerm(complement, focal: backgroundFocal)
        // TP_bg = V − P − G + TP and P_bg = V − P: ∂/∂TP = ∂_bg/∂TP_bg, ∂/∂P = −∂_bg/∂TP_bg − ∂_bg/∂P_bg.
        return RegionTerm(
            loss: 0.5 * (fg.loss + bg.loss), dIntersection: 0.5 * (fg.dIntersection + bg.dIntersection),
            dPrediction: 0.5 * (fg.dPrediction - bg.dIntersection - bg.dPrediction))
    }
}
