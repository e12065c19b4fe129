// MARK: - The region family of the catalogue

/// log-cosh Dice, sensitivity-specificity, generalized Dice, MCC, F-beta (asymmetric
/// similarity), log Dice: every one works in binary, multilabel and multiclass mode
/// (softmax and label maps through `MulticlassAdapter`); generalized Wasserstein Dice
/// (multiclass only); soft clDice; distance-weighted Dice.
public enum RegionFamily: LossFamily {
    case logCoshDice(LogCoshDiceLoss)
    case sensitivitySpecificity(SensitivitySpecificityLoss)
    case generalizedDice(GeneralizedDiceLoss)
    case mcc(MCCLoss)
    case asymmetricSimilarity(AsymmetricSimilarityLoss)
    case logDice(LogDiceLoss)
    /// Multiclass only (a class distance matrix).
    case wassersteinDice(GeneralizedWassersteinDiceLoss)
    /// `soft_cldice_loss`, `soft_dice_cldice_loss` (pooled over the batch).
    case clDice(SoftClDiceLoss)
    /// `distance_weighted_dice_loss` (SegLoss `DistBinaryDiceLoss`).
    case distanceWeightedDice(DistanceWeightedDiceLoss)

    public static let names: [String] = [
        "log_cosh_dice_loss", "sensitivity_specificity_loss", "generalized_dice_loss",
        "penalty_generalized_dice_loss", "mcc_loss", "asymmetric_similarity_loss", "log_dice_loss",
        "generalized_wasserstein_dice_loss", "soft_cldice_loss", "soft_dice_cldice_loss",
        "distance_weighted_dice_loss",
    ]

    public static func make(_ name: String, _ reader: inout OptionReader, common: LossOptions) throws(SegLossError) -> Self {
        switch name {
        case "log_cosh_dice_loss":
            return .logCoshDice(LogCoshDiceLoss(
                region: try reader.softLabelRegionOptions(), squaredPrediction: try reader.bool("squared_pred", default: false)))
        case "sensitivity_specificity_loss":
            return .sensitivitySpecificity(SensitivitySpecificityLoss(
                sensitivityWeight: try reader.double("r", default: 0.05),
                smooth: try reader.double("smooth_dr", default: 1),
                batch: try reader.bool("batch", default: false), emptyTarget: try emptyPolicy(&reader)))
        case "generalized_dice_loss", "penalty_generalized_dice_loss":
            return .generalizedDice(GeneralizedDiceLoss(
                weightType: try reader.code("weight_type", default: GeneralizedDiceWeight.square, names: { $0.name }),
                region: try reader.regionOptions(),
                penalty: name == "penalty_generalized_dice_loss" ? try reader.double("k", default: 2.5) : 0))
        case "mcc_loss":
            return .mcc(MCCLoss(
                eps: try reader.double("eps", default: 1e-5),
                region: RegionOptions(
                    smoothNumerator: 0, smoothDenominator: 0, batch: try reader.bool("batch", default: false),
                    emptyTarget: try emptyPolicy(&reader))))
        case "asymmetric_similarity_loss":
            return .asymmetricSimilarity(AsymmetricSimilarityLoss(
                beta: try reader.double("beta", default: 1.5), region: try reader.softLabelRegionOptions()))
        case "log_dice_loss":
            return .logDice(LogDiceLoss(
                region: try reader.softLabelRegionOptions(), squaredPrediction: try reader.bool("squared_pred", default: false),
                eps: try reader.double("eps", default: 1e-7)))
        case "generalized_wasserstein_dice_loss":
            return .wassersteinDice(GeneralizedWassersteinDiceLoss(
                distances: try reader.doubles("dist_matrix"),
                weighting: try reader.code("weighting_mode", default: WassersteinWeighting.standard, names: { $0.name }),
                smoothNumerator: try reader.double("smooth_nr", default: 1e-5),
                smoothDenominator: try reader.double("smooth_dr", default: 1e-5), batch: try reader.bool("batch", default: false)))
        case "soft_cldice_loss", "soft_dice_cldice_loss":
            return .clDice(try SoftClDiceLoss.make(&reader, dice: name == "soft_dice_cldice_loss"))
        case "distance_weighted_dice_loss":
            return .distanceWeightedDice(DistanceWeightedDiceLoss(
                region: try reader.regionOptions(), spacing: try reader.doubles("spacing")))
        default:
            throw .option("loss", "unknown loss '\(name)'")
        }
    }

    /// The `empty` option (for losses without smoothing options).
    private static func emptyPolicy(_ reader: inout OptionReader) throws(SegLossError) -> EmptyTargetPolicy {
        try reader.code("empty", default: EmptyTargetPolicy.smooth, names: { $0.name })
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        switch self {
        case .logCoshDice(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        case .mcc(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        case .asymmetricSimilarity(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        case .logDice(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        case .sensitivitySpecificity(let l):
            RegionLossEvaluator.outputShape(input: input, options: options, region: RegionOptions(batch: l.batch))
        case .generalizedDice(let l): l.outputShape(input: input, options: options)
        case .wassersteinDice(let l): l.outputShape(input: input, options: options)
        case .clDice: []
        case .distanceWeightedDice(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        switch self {
        case .logCoshDice(let l): return try Self.objective(l, input, target, options, outputs)
        case .mcc(let l): return try Self.objective(l, input, target, options, outputs)
        case .asymmetricSimilarity(let l): return try Self.objective(l, input, target, options, outputs)
        case .logDice(let l): return try Self.objective(l, input, target, options, outputs)
        case .sensitivitySpecificity(let l):
            return try Self.anyMode(input, target, options, outputs) {
                (p: TensorView<S>, g: TensorView<S>, o: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
                try l.evaluate(input: p, target: g, options: o, outputs: out)
            }
        case .generalizedDice(let l):
            if SoftmaxRegionEvaluator.applies(region: l.region, options: options) {
                return try l.evaluateSoftmax(input: input, target: target, options: options, outputs: outputs)
            }
            return try Self.anyMode(input, target, options, outputs) {
                (p: TensorView<S>, g: TensorView<S>, o: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
                try l.evaluate(input: p, target: g, options: o, outputs: out)
            }
        case .wassersteinDice(let l):
            return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .clDice(let l):
            return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .distanceWeightedDice(let l):
            return try Self.anyMode(input, target, options, outputs) {
                (p: TensorView<S>, g: TensorView<S>, o: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
                try l.evaluate(input: p, target: g, options: o, outputs: out)
            }
        }
    }

    // MARK: Dispatch by mode

    /// A `RegionObjective` through `RegionLossEvaluator`, in any mode.
    private static func objective<S: SegScalar, O: RegionObjective>(
        _ objective: O, _ input: TensorView<S>, _ target: LossTarget<S>, _ options: LossOptions,
        _ outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        if options.mode == .multiclass {
            return try SoftmaxRegionEvaluator.multiclass(objective, input: input, target: target, options: options, outputs: outputs)
        }
        return try RegionLossEvaluator.evaluate(
            objective, input: input, target: try target.requireDense("this region loss"), options: options, outputs: outputs)
    }

    /// Runs `dense` (a loss on dense targets in binary/multilabel mode) directly, or in
    /// multiclass mode through `MulticlassAdapter` (softmax, label maps, chain rule).
    private static func anyMode<S: SegScalar>(
        _ input: TensorView<S>, _ target: LossTarget<S>, _ options: LossOptions, _ outputs: LossOutputs<S>,
        _ dense: (TensorView<S>, TensorView<S>, LossOptions, LossOutputs<S>) throws(SegLossError) -> Double
    ) throws(SegLossError) -> Double {
        if options.mode == .multiclass {
            return try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs, dense: dense)
        }
        return try dense(input, try target.requireDense("this region loss"), options, outputs)
    }
}
