// MARK: - Dice + cross-entropy (MONAI DiceCELoss)

/// Compound Dice + cross-entropy (MONAI `DiceCELoss`; nnU-Net's Dice + CE; LOSSES.md §2
/// row 43):
///
///     ℓ = λ_dice·Dice + λ_ce·CE
///
/// The parts are the catalogue's `DiceLoss` (per (image, class), region options) and
/// `CrossEntropyLoss` (`cross_entropy_loss`): in multiclass mode the categorical
/// cross-entropy of the stable log-softmax (class `weight`, `label_smoothing`,
/// PyTorch's weighted mean), in binary/multilabel mode the per-element binary
/// cross-entropy of the sigmoid — as current MONAI does for one channel. Older MONAI
/// (1.0.x) applied a softmax cross-entropy over the single channel, which is identically 0
/// (Junelin2333/LanGuideMedSeg-MICCAI2023#13); here both parts always see the same
/// activation (`from_logits`), mode and `ignore_index` (MONAI's DiceCELoss has no
/// ignore_index, and its sigmoid/softmax flags affect only the Dice part).
///
/// `weight` (one value per class, background included: C values whatever
/// `include_background` is) weighs the cross-entropy only; MONAI applies it to both parts
/// and requires C or C − 1 values depending on the part (MONAI #7729). Defaults
/// λ = 1, 1 (MONAI). `reduction = none` is refused (the parts have different shapes;
/// MONAI #3917), as for `dice_bce_loss`.
public struct DiceCELoss: Sendable {
    public var dice: DiceLoss
    public var crossEntropy: CrossEntropyLoss
    public var lambdaDice: Double
    public var lambdaCE: Double

    public init(
        dice: DiceLoss = DiceLoss(), crossEntropy: CrossEntropyLoss = CrossEntropyLoss(),
        lambdaDice: Double = 1, lambdaCE: Double = 1
    ) {
        self.dice = dice
        self.crossEntropy = crossEntropy
        self.lambdaDice = lambdaDice
        self.lambdaCE = lambdaCE
    }

    public func validate(_ options: LossOptions) throws(SegLossError) {
        try SegLossError.requireAtLeast(lambdaDice, 0, "lambda_dice")
        try SegLossError.requireAtLeast(lambdaCE, 0, "lambda_ce")
        try CompoundParts.requireReduced(options, "dice_ce_loss", parts: "Dice and cross-entropy")
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate(options)
        try crossEntropy.validate()
        guard options.mode == .multiclass else {
            // Binary/multilabel: the cross-entropy is the BCE per element.
            try crossEntropy.requireBinaryCompatible(mode: options.mode)
            return try CompoundParts.regionPlusPixel(
                dice, lambdaDice, BCELoss(), lambdaCE, input: input, target: target.requireDense("dice_ce_loss"),
                options: options, outputs: outputs)
        }
        let gradient = LossOutputs<S>(gradient: outputs.gradient)
        let d = try CompoundParts.multiclassRegion(
            dice, input: input, target: target, options: options, outputs: gradient, scale: lambdaDice)
        let c = try crossEntropy.evaluate(
            input: input, target: target, options: options, outputs: gradient, scale: lambdaCE, accumulate: true)
        return lambdaDice * d + lambdaCE * c
    }
}
