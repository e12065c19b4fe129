// MARK: - The distribution family of the catalogue

/// weighted/balanced BCE, cross-entropy, softmax focal, top-k CE, NACL (LOSSES.md §2 rows 1-15),
/// Poly-1 (a SegLoss user request, #41).
public enum DistributionFamily: LossFamily {
    /// −[q·g·log p + (1 − g)·log(1 − p)], q = β/(1 − β) or `pos_weight` (binary/multilabel).
    case weightedBCE(BCELoss)
    /// −[β·g·log p + (1 − β)(1 − g)·log(1 − p)] (binary/multilabel).
    case balancedBCE(BCELoss)
    /// Categorical cross-entropy (multiclass; BCE in binary/multilabel mode).
    case crossEntropy(CrossEntropyLoss)
    /// Mean of the k % largest per-voxel cross-entropy values.
    case topK(TopKCrossEntropyLoss)
    /// Cross-entropy + α·mean d(K ∗ onehot(g) − x) (neighbor-aware calibration).
    case nacl(NACLLoss)
    /// Cross-entropy + ε·(1 − p_t) (Poly-1).
    case poly(PolyLoss)

    public static let names: [String] = ["weighted_bce_loss", "balanced_bce_loss", "cross_entropy_loss", "top_k_ce_loss", "nacl_loss", "poly_loss"]

    public static func make(_ name: String, _ r: inout OptionReader, common: LossOptions) throws(SegLossError) -> Self {
        switch name {
        case "weighted_bce_loss":
            // SemSegLoss's weighted_cross_entropyloss: q = β/(1 − β); its β = 0.25 gives
            // q = 1/3, down-weighting positives. Default here: β = 0.75 (q = 3).
            let pos = try r.optional("pos_weight"), beta = try r.optional("beta")
            if pos != nil, beta != nil {
                throw .option("pos_weight", "give either pos_weight (q) or beta (q = beta/(1 - beta)), not both")
            }
            if let beta, !(beta.isFinite && beta > 0 && beta < 1) {
                throw .value("beta", "must lie in (0, 1) (q = beta/(1 - beta)), got \(beta)")
            }
            let b = beta ?? 0.75
            return .weightedBCE(BCELoss(posWeight: pos ?? b / (1 - b)))
        case "balanced_bce_loss":
            let beta = try r.double("beta", default: 0.5)
            guard beta.isFinite, beta > 0, beta < 1 else {
                throw .value("beta", "must lie in (0, 1) (beta weighs positives, 1 - beta negatives), got \(beta)")
            }
            return .balancedBCE(BCELoss(posWeight: beta, negativeWeight: 1 - beta))
        case "cross_entropy_loss":
            return .crossEntropy(CrossEntropyLoss(
                weight: try r.doubles("weight"), labelSmoothing: try r.double("label_smoothing", default: 0)))
        case "top_k_ce_loss":
            return .topK(TopKCrossEntropyLoss(
                k: try r.double("k", default: 10),
                crossEntropy: CrossEntropyLoss(
                    weight: try r.doubles("weight"), labelSmoothing: try r.double("label_smoothing", default: 0))))
        case "nacl_loss":
            return .nacl(try NACLLoss.make(&r))
        case "poly_loss":
            let loss = PolyLoss(
                epsilon: try r.double("epsilon", default: 1),
                crossEntropy: CrossEntropyLoss(
                    weight: try r.doubles("weight"), labelSmoothing: try r.double("label_smoothing", default: 0)))
            try loss.validate()
            return .poly(loss)
        default:
            throw .option("loss", "unknown loss '\(name)'")
        }
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        switch self {
        case .weightedBCE, .balancedBCE: PixelLossEvaluator.outputShape(input: input, options: options)
        case .crossEntropy(let l): l.outputShape(input: input, options: options)
        case .topK(let l): l.crossEntropy.outputShape(input: input, options: options)
        case .nacl: []
        case .poly(let l): l.outputShape(input: input, options: options)
        }
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        switch self {
        case .weightedBCE(let l), .balancedBCE(let l):
            guard options.mode != .multiclass else {
                throw .option("mode", "\(name) is binary/multilabel (sigmoid per channel); for exclusive classes use cross_entropy_loss (with weight=[...] for class weights)")
            }
            return try PixelLossEvaluator.evaluate(
                l, input: input, target: target.requireDense(name), options: options, outputs: outputs)
        case .crossEntropy(let l):
            return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .topK(let l):
            return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .nacl(let l):
            return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        case .poly(let l):
            return try l.evaluate(input: input, target: target, options: options, outputs: outputs)
        }
    }

    /// The catalogue name of this loss.
    public var name: String {
        switch self {
        case .weightedBCE: "weighted_bce_loss"
        case .balancedBCE: "balanced_bce_loss"
        case .crossEntropy: "cross_entropy_loss"
        case .topK: "top_k_ce_loss"
        case .nacl: "nacl_loss"
        case .poly: "poly_loss"
        }
    }
}

// MARK: - Softmax focal (focal_loss in multiclass mode)

extension DistributionFamily {
    /// `focal_loss` with `mode = multiclass`: the softmax (categorical) focal loss
    /// (LOSSES.md §2 row 10, §6.8), as MONAI's `FocalLoss(use_softmax=True)`:
    ///
    ///     ℓ_i = −Σ_c α_c·g_ic·(1 − p_ic)^γ·log p_ic,   p = softmax(z)
    ///     ∂ℓ_i/∂z_ij = u_j − p_j Σ_c u_c,   u_c = −α_c g_c (1 − p_c)^γ (1 − γ p_c log p_c / (1 − p_c))
    ///
    /// (for a one-hot target t this is (1 − p_t)^(γ−1)[γ p_t log p_t − (1 − p_t)](δ_tj − p_j)·α_t).
    /// α (`FocalLoss.alpha`, MONAI's convention): 1 − α for class 0 (background), α for
    /// every other class, so a 2-class softmax focal weighs classes as the sigmoid focal
    /// weighs negatives/positives; `alpha = nil` (Python `alpha=None`) weighs all classes
    /// 1. γ = 0 with `alpha = nil` is `cross_entropy_loss`. smp's multiclass FocalLoss
    /// sums one-vs-rest sigmoid focal terms instead (smp #671); this is the softmax form.
    ///
    /// Reduction over voxels (the per-voxel sum over classes, like cross-entropy):
    /// `none` → (N, *spatial), `mean` divides by the valid voxels (MONAI's mean also
    /// divides by C). `include_background = false` drops the class-0 term (the softmax
    /// still runs over every class; MONAI drops channel 0 before its softmax). The log is
    /// the stable log-softmax; for γ < 1 the gradient stays finite at p = 1.
    public static func softmaxFocal<S: SegScalar>(
        _ focal: FocalLoss, input: TensorView<S>, target: LossTarget<S>, options: LossOptions,
        outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try focal.validate()
        let weights = try CategoricalEvaluator.foldedWeights(
            classes: input.shape.channels, weight: nil, alpha: focal.alpha, includeBackground: options.includeBackground)
        func run<P: FocalPower, R: StaticFlag>(_: P.Type, _: R.Type) throws(SegLossError) -> Double {
            try CategoricalEvaluator.evaluate(
                SoftmaxFocalTerm<P, R>(gamma: focal.gamma, threshold: focal.reducedThreshold ?? 1),
                classWeights: weights, meanWeights: nil, input: input, target: target, options: options, outputs: outputs)
        }
        switch (FocalPowerKind(gamma: focal.gamma), focal.reducedThreshold != nil) {
        case (.square, false): return try run(SquarePower.self, Off.self)
        case (.half, false): return try run(HalfPower.self, Off.self)
        case (.real, false): return try run(RealPower.self, Off.self)
        case (.square, true): return try run(SquarePower.self, On.self)
        case (.half, true), (.real, true): return try run(RealPower.self, On.self)
        }
    }

    /// Unreduced output shape of the softmax focal loss: (N, *spatial).
    public static func softmaxFocalOutputShape(input: TensorShape, options: LossOptions) -> [Int] {
        CategoricalEvaluator.outputShape(input: input, options: options)
    }
}
