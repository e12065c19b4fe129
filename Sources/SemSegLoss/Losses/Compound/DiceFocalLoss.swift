// MARK: - Dice + focal (MONAI DiceFocalLoss)

/// Compound Dice + focal loss (MONAI `DiceFocalLoss`; LOSSES.md §2 row 44):
///
///     ℓ = λ_dice·Dice + λ_focal·Focal
///
/// The parts are the catalogue's `DiceLoss` and `focal_loss`: the sigmoid focal loss per
/// element in binary/multilabel mode (`FocalLoss`), the softmax focal loss per voxel in
/// multiclass mode (`DistributionFamily.softmaxFocal`, MONAI's `use_softmax=True`, α on
/// the foreground classes and 1 − α on class 0). Defaults as MONAI: γ = 2, α = nil (no
/// class weighting), λ = 1, 1. Both parts see the same activation, mode and
/// `ignore_index`. `reduction = none` is refused (the parts have different shapes).
public struct DiceFocalLoss: Sendable {
    public var dice: DiceLoss
    public var focal: FocalLoss
    public var lambdaDice: Double
    public var lambdaFocal: Double

    public init(
        dice: DiceLoss = DiceLoss(), focal: FocalLoss = FocalLoss(alpha: nil, gamma: 2),
        lambdaDice: Double = 1, lambdaFocal: Double = 1
    ) {
        self.dice = dice
        self.focal = focal
        self.lambdaDice = lambdaDice
        self.lambdaFocal = lambdaFocal
    }

    public func validate(_ options: LossOptions) throws(SegLossError) {
        try SegLossError.requireAtLeast(lambdaDice, 0, "lambda_dice")
        try SegLossError.requireAtLeast(lambdaFocal, 0, "lambda_focal")
        try focal.validate()
        try CompoundParts.requireReduced(options, "dice_focal_loss", parts: "Dice and focal")
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate(options)
        if options.mode == .multiclass {
            // softmaxFocal writes its gradient unscaled: a scratch buffer, scaled and added.
            let total = try CompoundParts.addParts(count: input.shape.count, outputs: outputs, secondScale: lambdaFocal, { (out: LossOutputs<S>) throws(SegLossError) -> Double in
                lambdaDice * (try CompoundParts.multiclassRegion(
                    dice, input: input, target: target, options: options, outputs: out, scale: lambdaDice))
            }, { (out: LossOutputs<S>) throws(SegLossError) -> Double in
                lambdaFocal * (try DistributionFamily.softmaxFocal(
                    focal, input: input, target: target, options: options, outputs: out))
            })
            return total
        }
        return try CompoundParts.regionPlusPixel(
            dice, lambdaDice, focal, lambdaFocal, input: input, target: target.requireDense("dice_focal_loss"),
            options: options, outputs: outputs)
    }
}
