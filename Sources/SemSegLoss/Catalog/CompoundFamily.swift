// MARK: - The compound family of the catalogue

/// combo, exp-log, Dice+CE, Dice+focal, unified focal and its parts, and the sums of
/// whole catalogue losses (GDL+focal, Dice+top-k, the UNet3+ and BASNet hybrids).
public enum CompoundFamily: LossFamily {
    case diceCE(DiceCELoss)
    case diceFocal(DiceFocalLoss)
    case combo(ComboLoss)
    case expLog(ExpLogLoss)
    case unifiedFocal(UnifiedFocalLoss)
    /// `asymmetric_focal_loss`, `symmetric_focal_loss`.
    case yeungFocal(YeungFocalLoss)
    /// `asymmetric_focal_tversky_loss`, `symmetric_focal_tversky_loss`.
    case yeungFocalTversky(YeungFocalTverskyLoss)
    /// `generalized_dice_focal_loss`, `dice_top_k_loss`, `unet3p_hybrid_loss`,
    /// `basnet_hybrid_loss` (`HybridLosses`).
    case weightedSum(WeightedLossSum)

    public static let names: [String] = [
        "dice_ce_loss", "dice_focal_loss", "combo_loss", "exp_log_loss", "unified_focal_loss", "asymmetric_focal_loss",
        "symmetric_focal_loss", "asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss",
    ] + HybridLosses.names

    public static func make(_ name: String, _ r: inout OptionReader, common: LossOptions) throws(SegLossError) -> Self {
        switch name {
        case "dice_ce_loss":
            return .diceCE(DiceCELoss(
                dice: DiceLoss(region: try r.softLabelRegionOptions(), squaredPrediction: try r.bool("squared_pred", default: false)),
                crossEntropy: CrossEntropyLoss(
                    weight: try r.doubles("weight"), labelSmoothing: try r.double("label_smoothing", default: 0)),
                lambdaDice: try r.double("lambda_dice", default: 1), lambdaCE: try r.double("lambda_ce", default: 1)))
        case "dice_focal_loss":
            // alpha_weighting = 0 (Python alpha=None, the default as MONAI) weighs classes 1.
            let alpha = try r.double("alpha", default: 0.25)
            let weighted = try r.bool("alpha_weighting", default: false)
            return .diceFocal(DiceFocalLoss(
                dice: DiceLoss(region: try r.softLabelRegionOptions(), squaredPrediction: try r.bool("squared_pred", default: false)),
                focal: FocalLoss(alpha: weighted ? alpha : nil, gamma: try r.double("gamma", default: 2)),
                lambdaDice: try r.double("lambda_dice", default: 1), lambdaFocal: try r.double("lambda_focal", default: 1)))
        case "combo_loss":
            return .combo(ComboLoss(
                alpha: try r.double("alpha", default: 0.5), beta: try r.double("beta", default: 0.5),
                dice: DiceLoss(region: try r.regionOptions())))
        case "exp_log_loss":
            return .expLog(ExpLogLoss(
                weightDice: try r.double("w_dice", default: 0.8), weightCE: try r.double("w_ce", default: 0.2),
                gammaDice: try r.double("gamma_dice", default: 0.3), gammaCE: try r.double("gamma_ce", default: 0.3),
                floor: try r.double("floor", default: 1e-7), region: try r.regionOptions()))
        case "unified_focal_loss":
            return .unifiedFocal(UnifiedFocalLoss(
                variant: try r.code("variant", default: UnifiedFocalVariant.asymmetric, names: { $0.name }),
                weight: try r.double("weight", default: 0.5), delta: try r.double("delta", default: 0.6),
                gamma: try r.double("gamma", default: 0.5), floor: try r.double("floor", default: 1e-7),
                region: try r.regionOptions()))
        case "asymmetric_focal_loss", "symmetric_focal_loss":
            return .yeungFocal(YeungFocalLoss(
                variant: name.hasPrefix("asymmetric") ? .asymmetric : .symmetric,
                delta: try r.double("delta", default: 0.7), gamma: try r.double("gamma", default: 2)))
        case "asymmetric_focal_tversky_loss", "symmetric_focal_tversky_loss":
            return .yeungFocalTversky(YeungFocalTverskyLoss(
                variant: name.hasPrefix("asymmetric") ? .asymmetric : .symmetric,
                delta: try r.double("delta", default: 0.7), gamma: try r.double("gamma", default: 0.75),
                floor: try r.double("floor", default: 1e-7), region: try r.regionOptions()))
        case _ where HybridLosses.names.contains(name):
            return .weightedSum(try HybridLosses.make(name, &r, common: common))
        default:
            throw .option("loss", "unknown loss '\(name)'")
        }
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        switch self {
        case .diceCE, .diceFocal, .combo, .expLog, .unifiedFocal, .weightedSum: []
        case .yeungFocal:
            options.mode == .multiclass && options.reduction == .none
                ? [input.batch] + Array(input.spatial) : PixelLossEvaluator.outputShape(input: input, options: options)
        case .yeungFocalTversky(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        switch self {
        case .diceCE(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .diceFocal(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .combo(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .expLog(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .unifiedFocal(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .weightedSum(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .yeungFocal(let l):
            if options.mode == .multiclass {
                return try l.evaluateMulticlass(input: input, target: target, options: options, outputs: outputs)
            }
            return try PixelLossEvaluator.evaluate(
                l, input: input, target: try target.requireDense(l.name), options: options, outputs: outputs)
        case .yeungFocalTversky(let l):
            if options.mode == .multiclass {
                var classes = l
                classes.exclusiveClasses = true
                return try CompoundParts.multiclassRegion(
                    classes, input: input, target: target, options: options, outputs: outputs, scale: 1)
            }
            return try RegionLossEvaluator.evaluate(
                l, input: input, target: try target.requireDense(l.name), options: options, outputs: outputs)
        }
    }
}
