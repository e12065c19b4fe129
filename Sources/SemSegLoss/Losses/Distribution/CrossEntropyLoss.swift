// MARK: - Categorical cross-entropy

/// Categorical cross-entropy over softmax probabilities (LOSSES.md §2 rows 4-6):
///
///     ℓ_i = −Σ_c w_c·g′_ic·log p_ic,   p = softmax(z),   g′ = (1 − ε)·g + ε/C
///     ∂ℓ_i/∂z_ij = p_ij·Σ_c w_c g′_ic − w_j g′_ij        (= p − g for one-hot g, w = 1, ε = 0)
///
/// log p is the stable log-softmax (`SoftmaxKernel`), so logits of any size are fine.
///
/// - `weight` (one per class, ≥ 0, PyTorch/MONAI `weight`): with `reduction = mean` the
///   weighted sum is divided by Σ_i Σ_c w_c g_ic over the valid voxels, i.e. Σ_i w_{y_i}
///   for label maps, exactly as `torch.nn.CrossEntropyLoss` (for soft targets PyTorch
///   divides by the voxel count instead; here the same weighted rule applies). Without
///   `weight` the mean divides by the valid voxels.
/// - `labelSmoothing` ε ∈ [0, 1] (PyTorch/MONAI `label_smoothing`, smp `smooth_factor`):
///   (1 − ε)·NLL + (ε/C)·Σ_c −w_c log p_c. smp's `SoftCrossEntropyLoss` crashes with its
///   default `smooth_factor=None` (smp #372); here the default is 0.
/// - `include_background = false` drops the class-0 term −w_0 g′_0 log p_0 from every voxel
///   (the softmax still runs over all classes, so logit 0 still gets gradient): background
///   voxels of a label map then contribute 0 but still count in the mean: the denominator
///   is the valid voxels, or Σ_i w_{y_i} over them with the caller's w_0 (so `weight` of
///   all ones gives the unweighted value; before 2026-12-06 the weighted denominator left
///   the background voxels out). (MONAI's DiceCELoss ignores include_background for its CE
///   part; pass True to match it.)
/// - `from_logits = false`: the input holds probabilities; log p uses p clamped to
///   [ε, 1 − ε] (ε = 1e−7), with gradient 0 where clamped.
/// - Binary / multilabel mode: the per-element binary cross-entropy (sigmoid per channel,
///   `BCELoss`, as MONAI's DiceCE does for one channel); `reduction = none` then returns
///   the input's shape. `weight` and `label_smoothing` are multiclass-only there.
///
/// In multiclass mode `reduction = none` returns (N, *spatial).
public struct CrossEntropyLoss: Sendable {
    public var weight: [Double]?
    public var labelSmoothing: Double

    public init(weight: [Double]? = nil, labelSmoothing: Double = 0) {
        self.weight = weight
        self.labelSmoothing = labelSmoothing
    }

    public func validate() throws(SegLossError) {
        if let weight {
            for (c, w) in weight.enumerated() where !(w.isFinite && w >= 0) {
                throw .value("weight", "class weights must be finite and >= 0, got \(w) for class \(c)")
            }
        }
        try SegLossError.requireInRange(labelSmoothing, 0, 1, "label_smoothing")
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        options.mode == .multiclass
            ? CategoricalEvaluator.outputShape(input: input, options: options)
            : PixelLossEvaluator.outputShape(input: input, options: options)
    }

    /// Evaluates the loss; the gradient is multiplied by `scale` (and added to the buffer
    /// when `accumulate`), the returned value is not scaled (as `PixelLossEvaluator`).
    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>,
        scale: Double = 1, accumulate: Bool = false
    ) throws(SegLossError) -> Double {
        try validate()
        guard options.mode == .multiclass else {
            try requireBinaryCompatible(mode: options.mode)
            return try PixelLossEvaluator.evaluate(
                BCELoss(), input: input, target: target.requireDense("cross_entropy_loss"), options: options,
                outputs: outputs, scale: scale, accumulate: accumulate)
        }
        let weights = try CategoricalEvaluator.foldedWeights(
            classes: input.shape.channels, weight: weight, alpha: nil, includeBackground: options.includeBackground)
        return try CategoricalEvaluator.evaluate(
            CrossEntropyTerm(smoothing: labelSmoothing, classes: input.shape.channels),
            classWeights: weights, meanWeights: weight,
            input: input, target: target, options: options, outputs: outputs, scale: scale, accumulate: accumulate)
    }

    /// Binary/multilabel mode has no classes to weigh or smooth over.
    func requireBinaryCompatible(mode: SegmentationMode) throws(SegLossError) {
        if weight != nil {
            throw .option("weight", "class weights need mode='multiclass' (got mode='\(mode.name)'); for a positive-class weight use weighted_bce_loss or bce_loss(pos_weight=...)")
        }
        if labelSmoothing != 0 {
            throw .option("label_smoothing", "needs mode='multiclass' (got mode='\(mode.name)')")
        }
    }
}
