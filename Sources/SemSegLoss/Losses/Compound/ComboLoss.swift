// MARK: - Combo loss (Taghanaki et al. 2019)

/// Combo loss (Taghanaki et al., "Combo loss: Handling input and output imbalance in
/// multi-organ segmentation", CMIG 2019; LOSSES.md §2 row 47, §6.10):
///
///     paper:  L = α·CE_β − (1 − α)·Dice          (values in [−(1 − α), ∞))
///     here:   ℓ = α·CE_β + (1 − α)·(1 − Dice)    (≥ 0; same gradient, shifted by 1 − α)
///
/// with the β-balanced binary cross-entropy, averaged over valid voxels,
///
///     CE_β = −[β·g·log p + (1 − β)·(1 − g)·log(1 − p)],
///     ∂CE_β/∂z = β·g·(p − 1) + (1 − β)·(1 − g)·p           (LOSSES.md §6.7)
///
/// (`balanced_bce_loss`: `BCELoss` with weights β, 1 − β), and the soft Dice of `DiceLoss`
/// per (image, class) with its region options. β > 0.5 penalises false negatives more
/// (paper). Multiclass mode (softmax): CE_β = −Σ_c β_c g_c log p_c with β_0 = 1 − β for the
/// background (channel 0) and β for every other class, averaged over valid voxels (a
/// two-class softmax then equals binary mode), and the multiclass soft Dice. UFL applies β to channel 0 of its (bg, fg) pair — the background — i.e. the
/// opposite letter; with the default β = 0.5 the two agree. UFL defaults α = 0.5,
/// β = 0.5. `reduction = none` is refused (the parts have different shapes).
public struct ComboLoss: Sendable {
    /// α ∈ [0, 1], the weight of the cross-entropy part.
    public var alpha: Double
    /// β ∈ (0, 1), the weight of the positive (foreground) term of the cross-entropy.
    public var beta: Double
    public var dice: DiceLoss

    public init(alpha: Double = 0.5, beta: Double = 0.5, dice: DiceLoss = DiceLoss()) {
        self.alpha = alpha
        self.beta = beta
        self.dice = dice
    }

    /// The β-balanced binary cross-entropy (as `balanced_bce_loss`).
    var crossEntropy: BCELoss { BCELoss(posWeight: beta, negativeWeight: 1 - beta) }

    public func validate(_ options: LossOptions) throws(SegLossError) {
        try CompoundParts.requireUnit(alpha, "alpha")
        guard beta.isFinite, beta > 0, beta < 1 else {
            throw .value("beta", "must lie in (0, 1) (beta weighs positives, 1 - beta negatives), got \(beta)")
        }
        try CompoundParts.requireReduced(options, "combo_loss", parts: "cross-entropy and Dice")
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate(options)
        if options.mode == .multiclass {
            let weights = try CategoricalEvaluator.foldedWeights(
                classes: input.shape.channels, weight: nil, alpha: beta, includeBackground: options.includeBackground)
            return try CompoundParts.regionPlusCategorical(
                dice, 1 - alpha, CrossEntropyTerm(smoothing: 0, classes: input.shape.channels), classWeights: weights,
                alpha, input: input, target: target, options: options, outputs: outputs)
        }
        return try CompoundParts.regionPlusPixel(
            dice, 1 - alpha, crossEntropy, alpha, input: input, target: target.requireDense("combo_loss"),
            options: options, outputs: outputs)
    }
}
