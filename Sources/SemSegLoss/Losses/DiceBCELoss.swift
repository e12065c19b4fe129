// MARK: - Dice + BCE

/// Compound Dice + binary cross-entropy:
///
///     ℓ = λ_dice · Dice + λ_bce · BCE
///
/// Defaults λ = 1, 1 (MONAI's DiceCE weighting); SemSegLoss's `bce_dice_loss`
/// ((BCE + Dice)/2) is λ = 0.5, 0.5. Both parts see the same mode, activation and
/// `ignore_index`; the Dice part reduces over (image, class) entries and the BCE part over
/// voxels. `reduction = none` is refused, because the two parts have different shapes.
public struct DiceBCELoss: Sendable {
    public var dice: DiceLoss
    public var bce: BCELoss
    public var lambdaDice: Double
    public var lambdaBCE: Double

    public init(dice: DiceLoss = DiceLoss(), bce: BCELoss = BCELoss(), lambdaDice: Double = 1, lambdaBCE: Double = 1) {
        self.dice = dice
        self.bce = bce
        self.lambdaDice = lambdaDice
        self.lambdaBCE = lambdaBCE
    }

    public func validate(_ options: LossOptions) throws(SegLossError) {
        try SegLossError.requireAtLeast(lambdaDice, 0, "lambda_dice")
        try SegLossError.requireAtLeast(lambdaBCE, 0, "lambda_bce")
        guard options.reduction != .none else {
            throw .option("reduction", "'none' is not available for compound losses (the Dice and BCE parts have different shapes); use 'mean' or 'sum', or call dice_loss and bce_loss separately")
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate(options)
        return try CompoundParts.regionPlusPixel(
            dice, lambdaDice, bce, lambdaBCE, input: input, target: target, options: options, outputs: outputs)
    }
}
