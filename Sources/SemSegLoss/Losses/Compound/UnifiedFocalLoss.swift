// MARK: - Unified focal loss (Yeung et al. 2022)

/// Unified focal loss (Yeung, Sala, Schönlieb & Rundo, CMIG 2022; LOSSES.md §2 row 49):
///
///     ℓ = λ·FTL_variant + (1 − λ)·FL_variant
///
/// with `YeungFocalTverskyLoss` (exponent 1 − γ, per class) and `YeungFocalLoss`
/// (modulation (1 − p)^γ) sharing δ and γ. `variant` picks the asymmetric pair (default,
/// UFL's `asym_unified_focal_loss`: no suppression of the foreground) or the symmetric
/// pair. Defaults are UFL's: λ = 0.5, δ = 0.6, γ = 0.5; MONAI's `AsymmetricUnifiedFocalLoss`
/// uses δ = 0.7. `reduction = none` is refused (the parts have different shapes).
///
/// Where the references break (LOSSES.md §1.3, §1.5, §5.7), this one does not: it takes
/// logits (stable log-probabilities) or probabilities, 2-D and 3-D, any batch including
/// images with an empty mask (MONAI raises ValueError), and `ignore_index`. Binary mode
/// (one foreground channel, background 1 − p) equals UFL's two-channel loss; multiclass
/// mode takes channel 0 as background and the others as foreground classes.
public struct UnifiedFocalLoss: Sendable {
    public var variant: UnifiedFocalVariant
    /// λ, the weight of the focal Tversky part, in [0, 1].
    public var weight: Double
    public var delta: Double
    public var gamma: Double
    public var floor: Double
    public var region: RegionOptions

    public init(
        variant: UnifiedFocalVariant = .asymmetric, weight: Double = 0.5, delta: Double = 0.6,
        gamma: Double = 0.5, floor: Double = 1e-7, region: RegionOptions = RegionOptions()
    ) {
        self.variant = variant
        self.weight = weight
        self.delta = delta
        self.gamma = gamma
        self.floor = floor
        self.region = region
    }

    public func tverskyPart(exclusiveClasses: Bool) -> YeungFocalTverskyLoss {
        YeungFocalTverskyLoss(
            variant: variant, delta: delta, gamma: gamma, floor: floor, region: region,
            exclusiveClasses: exclusiveClasses)
    }

    public var focalPart: YeungFocalLoss { YeungFocalLoss(variant: variant, delta: delta, gamma: gamma) }

    public func validate(_ options: LossOptions) throws(SegLossError) {
        try CompoundParts.requireUnit(weight, "weight")
        try tverskyPart(exclusiveClasses: false).validate()
        try CompoundParts.requireReduced(options, "unified_focal_loss", parts: "focal Tversky and focal")
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate(options)
        if options.mode == .multiclass {
            let t = try CompoundParts.multiclassRegion(
                tverskyPart(exclusiveClasses: true), input: input, target: target, options: options,
                outputs: LossOutputs(gradient: outputs.gradient), scale: weight)
            let f = try focalPart.evaluateMulticlass(
                input: input, target: target, options: options, outputs: LossOutputs(gradient: outputs.gradient),
                scale: 1 - weight, accumulate: true)
            return weight * t + (1 - weight) * f
        }
        return try CompoundParts.regionPlusPixel(
            tverskyPart(exclusiveClasses: false), weight, focalPart, 1 - weight, input: input,
            target: target.requireDense("unified_focal_loss"), options: options, outputs: outputs)
    }
}
