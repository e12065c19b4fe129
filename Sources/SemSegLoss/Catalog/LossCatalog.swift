// MARK: - Losses by name

/// Every loss of the library as a value, so that callers (the C ABI, the trainer) can pick
/// one by name and evaluate it with fully specialised kernels (no existentials).
public enum LossFunction: Sendable {
    case bce(BCELoss)
    case focal(FocalLoss)
    case dice(DiceLoss)
    case jaccard(JaccardLoss)
    case tversky(TverskyLoss)
    case focalTversky(FocalTverskyLoss)
    case diceBCE(DiceBCELoss)
    case hausdorffDT(HausdorffDTLoss)
    case boundary(BoundaryLoss)
    case distancePenalizedCE(DistancePenalizedCELoss)
    case shapeAware(ShapeAwareLoss)
    case hausdorffER(HausdorffERLoss)
    case distribution(DistributionFamily)
    case regionFamily(RegionFamily)
    case lovasz(LovaszFamily)
    case compound(CompoundFamily)
}

/// A loss together with its common options, ready to evaluate.
public struct ConfiguredLoss: Sendable {
    public var name: String
    public var function: LossFunction
    public var options: LossOptions

    public init(name: String, function: LossFunction, options: LossOptions) {
        self.name = name
        self.function = function
        self.options = options
    }

    /// Shape of the unreduced output (`[]` for mean/sum).
    public func outputShape(input: TensorShape) -> [Int] {
        switch function {
        case .focal where options.mode == .multiclass:
            DistributionFamily.softmaxFocalOutputShape(input: input, options: options)
        case .bce, .focal: PixelLossEvaluator.outputShape(input: input, options: options)
        case .dice(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        case .jaccard(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        case .tversky(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        case .focalTversky(let l): RegionLossEvaluator.outputShape(input: input, options: options, region: l.region)
        case .diceBCE: []
        case .hausdorffER: HausdorffERLoss.outputShape(input: input, options: options)
        case .hausdorffDT, .boundary, .distancePenalizedCE, .shapeAware:
            DistanceLossEvaluator.outputShape(input: input, options: options)
        case .distribution(let l): l.outputShape(input: input, options: options)
        case .regionFamily(let l): l.outputShape(input: input, options: options)
        case .lovasz(let l): l.outputShape(input: input, options: options)
        case .compound(let l): l.outputShape(input: input, options: options)
        }
    }

    /// Evaluates the loss on a dense target (input shape); see `LossOutputs`.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: TensorView<S>, outputs: LossOutputs<S> = LossOutputs()
    ) throws(SegLossError) -> Double {
        try evaluate(input: input, target: .dense(target), outputs: outputs)
    }

    /// Evaluates the loss on a dense target or (multiclass mode) an integer label map.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, outputs: LossOutputs<S> = LossOutputs()
    ) throws(SegLossError) -> Double {
        if options.mode == .multiclass {
            switch function {
            case .bce:
                throw .option("mode", "bce_loss is binary/multilabel (sigmoid per channel); for exclusive classes use cross_entropy_loss")
            case .diceBCE:
                throw .option("mode", "dice_bce_loss is binary/multilabel; for exclusive classes use dice_ce_loss")
            case .focal(let l) where l.normalized:
                return try l.evaluateNormalized(input: input, target: target, options: options, outputs: outputs)
            case .focal(let l):
                return try DistributionFamily.softmaxFocal(l, input: input, target: target, options: options, outputs: outputs)
            case .dice(let l): return try multiclass(l, input, target, outputs)
            case .jaccard(let l): return try multiclass(l, input, target, outputs)
            case .tversky(let l): return try multiclass(l, input, target, outputs)
            case .focalTversky(let l): return try multiclass(l, input, target, outputs)
            case .hausdorffDT(let l): return try multiclassDistance(l, input, target, outputs)
            case .boundary(let l): return try multiclassDistance(l, input, target, outputs)
            case .distancePenalizedCE, .shapeAware:
                throw .option("mode", "\(name) weights a binary cross-entropy per channel; a multiclass form (a categorical cross-entropy with per-class distance weights) is not defined by its paper. Use mode='multilabel' with one-hot targets (sigmoid per class)")
            default: break
            }
        }
        switch function {
        case .distribution(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .regionFamily(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .lovasz(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .compound(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .hausdorffER(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        default: break
        }
        let target = try target.requireDense(name)
        switch function {
        case .bce(let l): return try PixelLossEvaluator.evaluate(l, input: input, target: target, options: options, outputs: outputs)
        case .focal(let l) where l.normalized:
            return try l.evaluateNormalized(input: input, target: .dense(target), options: options, outputs: outputs)
        case .focal(let l): return try PixelLossEvaluator.evaluate(l, input: input, target: target, options: options, outputs: outputs)
        case .dice(let l): return try RegionLossEvaluator.evaluate(l, input: input, target: target, options: options, outputs: outputs)
        case .jaccard(let l): return try RegionLossEvaluator.evaluate(l, input: input, target: target, options: options, outputs: outputs)
        case .tversky(let l): return try RegionLossEvaluator.evaluate(l, input: input, target: target, options: options, outputs: outputs)
        case .focalTversky(let l): return try RegionLossEvaluator.evaluate(l, input: input, target: target, options: options, outputs: outputs)
        case .diceBCE(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .hausdorffDT(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .boundary(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .distancePenalizedCE(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .shapeAware(let l): return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .distribution, .regionFamily, .lovasz, .compound, .hausdorffER:
            throw .option("loss", "internal error: \(name) fell through the dispatch")
        }
    }

    /// A region objective in multiclass mode (softmax, label maps; `SoftmaxRegionEvaluator`).
    private func multiclass<S: SegScalar, O: RegionObjective>(
        _ objective: O, _ input: TensorView<S>, _ target: LossTarget<S>, _ outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try SoftmaxRegionEvaluator.multiclass(objective, input: input, target: target, options: options, outputs: outputs)
    }

    /// A distance-map loss defined per channel on probabilities (Hausdorff-DT, boundary) in
    /// multiclass mode: softmax probabilities and one-hot targets (`MulticlassAdapter`), as
    /// MONAI's `HausdorffDTLoss(softmax=True, to_onehot_y=True)` and Kervadec's boundary loss.
    private func multiclassDistance<S: SegScalar, L: DistanceFieldLoss>(
        _ loss: L, _ input: TensorView<S>, _ target: LossTarget<S>, _ outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try MulticlassAdapter.evaluate(input: input, target: target, options: options, outputs: outputs) {
            (p: TensorView<S>, g: TensorView<S>, inner: LossOptions, out: LossOutputs<S>) throws(SegLossError) -> Double in
            try loss.evaluate(input: p, target: g, options: inner, outputs: out)
        }
    }

    /// Convenience for Swift arrays: returns the loss, the gradient and (for `none`) the
    /// unreduced values.
    public func callAsFunction<S: SegScalar>(
        _ input: [S], _ target: [S], shape dims: [Int], gradOutput: [S]? = nil
    ) throws(SegLossError) -> LossResult<S> {
        let shape = try TensorShape(dims)
        let outShape = outputShape(input: shape)
        let outCount = outShape.reduce(1, *)
        if let gradOutput, gradOutput.count != outCount || options.reduction != .none {
            throw .shape("grad_output", "needs reduction='none' and \(outCount) elements, got \(gradOutput.count)")
        }
        var gradient = [S](repeating: 0, count: shape.count)
        var values = [S](repeating: 0, count: options.reduction == .none ? outCount : 0)
        let go = gradOutput ?? []
        let value = try input.withTensorView(shape: shape, argument: "input") { x throws(SegLossError) in
            try target.withTensorView(shape: shape, argument: "target") { t throws(SegLossError) in
                try gradient.withUnsafeMutableBufferPointer { gb throws(SegLossError) in
                    try values.withUnsafeMutableBufferPointer { vb throws(SegLossError) in
                        try go.withUnsafeBufferPointer { ob throws(SegLossError) in
                            // Only hand out `values` for reduction none: an empty array's base
                            // address is not a buffer to write to.
                            try evaluate(input: x, target: t, outputs: LossOutputs(
                                gradient: gb.baseAddress,
                                values: options.reduction == .none ? vb.baseAddress : nil,
                                gradOutput: gradOutput == nil ? nil : ob.baseAddress))
                        }
                    }
                }
            }
        }
        return LossResult(value: value, gradient: gradient, values: values, valuesShape: outShape)
    }
}

/// The catalogue: Python-facing names, and construction from named options.
public enum LossCatalog {
    /// All loss names, in the order shown to users.
    public static let names = coreNames + DistributionFamily.names + RegionFamily.names
        + LovaszFamily.names + CompoundFamily.names + distanceNames

    /// The foundation's losses (this file).
    static let coreNames = [
        "bce_loss", "focal_loss", "dice_loss", "jaccard_loss", "tversky_loss",
        "focal_tversky_loss", "dice_bce_loss",
    ]
    static let distanceNames = [
        "hausdorff_dt_loss", "log_hausdorff_dt_loss", "boundary_loss", "distance_penalized_ce_loss",
        "shape_aware_loss", "hausdorff_er_loss",
    ]

    /// Builds loss `name` from named options (see each loss's documentation for the names;
    /// `mode`, `reduction` and `empty` take the numeric codes of `semsegloss.h`).
    /// Unknown names and options are errors, and so are parameter values out of their range
    /// (`LossFunction.validate(options:)`); checks that need the tensors wait for evaluation.
    public static func make(_ name: String, options pairs: [(String, Double)] = []) throws(SegLossError) -> ConfiguredLoss {
        var r = try OptionReader(owner: name, pairs: pairs)
        let common = try r.lossOptions()
        let function: LossFunction
        switch name {
        case "bce_loss":
            function = .bce(BCELoss(posWeight: try r.double("pos_weight", default: 1)))
        case "focal_loss":
            // alpha defaults to 0.25 as FocalLoss(); alpha_weighting=0 weighs both classes 1
            // (Python's alpha=None, smp/MONAI's default).
            let alpha = try r.double("alpha", default: 0.25)
            let weighted = try r.bool("alpha_weighting", default: true)
            function = .focal(FocalLoss(
                alpha: weighted ? alpha : nil, gamma: try r.double("gamma", default: 2),
                reducedThreshold: try r.optional("reduced_threshold"), normalized: try r.bool("normalized", default: false)))
        case "dice_loss":
            function = .dice(DiceLoss(region: try r.weightedRegionOptions(), squaredPrediction: try r.bool("squared_pred", default: false)))
        case "jaccard_loss":
            function = .jaccard(JaccardLoss(region: try r.weightedRegionOptions(), squaredPrediction: try r.bool("squared_pred", default: false)))
        case "tversky_loss":
            function = .tversky(TverskyLoss(
                alpha: try r.double("alpha", default: 0.3), beta: try r.double("beta", default: 0.7),
                region: try r.weightedRegionOptions()))
        case "focal_tversky_loss":
            function = .focalTversky(FocalTverskyLoss(
                alpha: try r.double("alpha", default: 0.3), beta: try r.double("beta", default: 0.7),
                gamma: try r.double("gamma", default: 0.75), floor: try r.double("floor", default: 1e-7),
                region: try r.weightedRegionOptions()))
        case "dice_bce_loss":
            function = .diceBCE(DiceBCELoss(
                dice: DiceLoss(region: try r.softLabelRegionOptions(), squaredPrediction: try r.bool("squared_pred", default: false)),
                bce: BCELoss(posWeight: try r.double("pos_weight", default: 1)),
                lambdaDice: try r.double("lambda_dice", default: 1), lambdaBCE: try r.double("lambda_bce", default: 1)))
        case "hausdorff_dt_loss", "log_hausdorff_dt_loss":
            function = .hausdorffDT(HausdorffDTLoss(
                alpha: try r.double("alpha", default: 2), logarithm: name == "log_hausdorff_dt_loss",
                spacing: try r.doubles("spacing")))
        case "boundary_loss":
            function = .boundary(try BoundaryLoss(reading: &r))
        case "distance_penalized_ce_loss":
            function = .distancePenalizedCE(DistancePenalizedCELoss(spacing: try r.doubles("spacing")))
        case "shape_aware_loss":
            function = .shapeAware(ShapeAwareLoss(
                lambda: try r.double("shape_weight", default: 1), spacing: try r.doubles("spacing")))
        case "hausdorff_er_loss":
            function = .hausdorffER(try HausdorffERLoss.make(&r))
        case _ where DistributionFamily.names.contains(name):
            function = .distribution(try DistributionFamily.make(name, &r, common: common))
        case _ where RegionFamily.names.contains(name):
            function = .regionFamily(try RegionFamily.make(name, &r, common: common))
        case _ where LovaszFamily.names.contains(name):
            function = .lovasz(try LovaszFamily.make(name, &r, common: common))
        case _ where CompoundFamily.names.contains(name):
            function = .compound(try CompoundFamily.make(name, &r, common: common))
        default:
            throw .option("loss", "unknown loss '\(name)'; available: \(names.joined(separator: ", "))")
        }
        try r.finish()
        try function.validate(options: common)  // the loss's parameters, where they were given
        return ConfiguredLoss(name: name, function: function, options: common)
    }
}

extension BoundaryLoss {
    /// `spacing` and `normalize_map` from named options (`boundary_loss`, and the boundary
    /// part of `dice_boundary_loss`).
    init(reading r: inout OptionReader) throws(SegLossError) {
        self.init(
            spacing: try r.doubles("spacing"),
            normalization: try r.code("normalize_map", default: BoundaryMapNormalization.none, names: { $0.name }))
    }
}
