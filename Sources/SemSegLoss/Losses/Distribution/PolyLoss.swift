// MARK: - Poly-1 cross-entropy (Leng et al. 2022)

/// Poly-1 loss (Leng et al., "PolyLoss: A Polynomial Expansion Perspective of
/// Classification Loss Functions", ICLR 2022), the cross-entropy plus ε times its first
/// polynomial term:
///
///     ℓ_i = CE_i + ε·(1 − p_t),   p_t = Σ_c g_c·p_c   (multiclass, softmax)
///     ℓ_i = BCE_i + ε·(1 − p_t),  p_t = g·p + (1 − g)(1 − p)   (binary / multilabel, per element)
///
/// ε = 1 is the paper's default; ε = −1 removes the first term of the cross-entropy's
/// expansion Σ_j (1 − p_t)^j / j (values ε ≥ −1 keep the loss decreasing in p_t).
/// Requested by SegLoss users (SegLoss #41); no peer library in LOSSES.md has it.
///
/// Gradients: multiclass, with the decomposition 1 − p_t = Σ_c g_c (1 − p_c) for targets
/// that sum to 1 (one-hot, label maps, soft labels), each class adds ε·w_c·g_c·(1 − p_c) to
/// the cross-entropy term, ∂/∂ log p_c = −ε·w_c·g_c·p_c (`PolyCrossEntropyTerm`), and the
/// softmax chain rule of `CategoricalEvaluator` follows. Binary: ∂(1 − p_t)/∂p = 1 − 2g,
/// times σ'(z) from logits (`PolyBCELoss`).
///
/// As in the paper's code, label smoothing applies to the cross-entropy only (p_t uses the
/// unsmoothed target). Class weights (`weight`) and `include_background = false` scale
/// both parts of a voxel's loss by its class's weight, and the weighted mean divides by
/// Σ w as for `cross_entropy_loss`.
public struct PolyLoss: Sendable {
    public var epsilon: Double
    public var crossEntropy: CrossEntropyLoss

    public init(epsilon: Double = 1, crossEntropy: CrossEntropyLoss = CrossEntropyLoss()) {
        self.epsilon = epsilon
        self.crossEntropy = crossEntropy
    }

    public func validate() throws(SegLossError) {
        try crossEntropy.validate()
        guard epsilon.isFinite, epsilon >= -1 else {
            throw .value("epsilon", "must be a finite number >= -1 (below -1 the loss grows with p_t), got \(epsilon)")
        }
    }

    public func outputShape(input: TensorShape, options: LossOptions) -> [Int] {
        crossEntropy.outputShape(input: input, options: options)
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate()
        guard options.mode == .multiclass else {
            try crossEntropy.requireBinaryCompatible(mode: options.mode)
            return try PixelLossEvaluator.evaluate(
                PolyBCELoss(epsilon: epsilon), input: input, target: target.requireDense("poly_loss"),
                options: options, outputs: outputs)
        }
        let weight = crossEntropy.weight
        let weights = try CategoricalEvaluator.foldedWeights(
            classes: input.shape.channels, weight: weight, alpha: nil, includeBackground: options.includeBackground)
        return try CategoricalEvaluator.evaluate(
            PolyCrossEntropyTerm(smoothing: crossEntropy.labelSmoothing, classes: input.shape.channels, epsilon: epsilon),
            classWeights: weights, meanWeights: weight,
            input: input, target: target, options: options, outputs: outputs)
    }
}

/// t = −w·g′·l + ε·w·g·(1 − p), p = e^l, g′ the label-smoothed target;
/// u = ∂t/∂l = −w·g′ − ε·w·g·p.
@usableFromInline
struct PolyCrossEntropyTerm: CategoricalTerm {
    @usableFromInline var crossEntropy: CrossEntropyTerm
    @usableFromInline var epsilon: Double

    @inlinable init(smoothing: Double, classes: Int, epsilon: Double) {
        crossEntropy = CrossEntropyTerm(smoothing: smoothing, classes: classes)
        self.epsilon = epsilon
    }

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ l: S, _ p: S, _ g: S, _ w: S) -> (loss: S, dl: S) {
        let (ce, u) = crossEntropy.evaluate(l, p, g, w)
        let a = S(epsilon) * w * g
        return (ce + a * (1 - p), u - a * p)
    }
}

/// BCE + ε·(1 − p_t), p_t = g·p + (1 − g)(1 − p), per element; ∂(1 − p_t)/∂p = 1 − 2g.
/// From probabilities the BCE part clamps p inside its logs (`BCELoss`), the polynomial
/// part uses p as given.
public struct PolyBCELoss: PixelObjective {
    public var epsilon: Double

    public init(epsilon: Double = 1) { self.epsilon = epsilon }

    public func validate() throws(SegLossError) {}

    @inlinable @inline(always)
    public func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let (bce, dbce) = BCELoss().evaluate(x, g, fromLogits: fromLogits)
        let s = Sigmoid(logits: x)
        let p = fromLogits ? s.p : x
        let dp: S = fromLogits ? s.derivative : 1
        let e = S(epsilon)
        let oneMinusPt = g * (1 - p) + (1 - g) * p
        return (bce + e * oneMinusPt, dbce + e * (1 - 2 * g) * dp)
    }
}
