// MARK: - Asymmetric and symmetric focal loss (Yeung et al. 2022)

/// Which of Yeung's variants: the asymmetric one keeps the foreground (rare) classes free
/// of focal suppression, the symmetric one modulates every class.
public enum UnifiedFocalVariant: Int32, Sendable, CaseIterable {
    case asymmetric = 0
    case symmetric = 1

    public var name: String {
        switch self {
        case .asymmetric: "asymmetric"
        case .symmetric: "symmetric"
        }
    }
}

/// The focal (cross-entropy) parts of the unified focal loss (Yeung, Sala, Schönlieb &
/// Rundo, "Unified Focal loss: Generalising Dice and cross entropy-based losses to handle
/// class imbalanced medical image segmentation", CMIG 2022; LOSSES.md §2 rows 13–14):
///
///     asymmetric:  ℓ = (1 − δ)·(1 − p_bg)^γ·CE_bg + δ·CE_fg
///     symmetric:   ℓ = (1 − δ)·(1 − p_bg)^γ·CE_bg + δ·(1 − p_fg)^γ·CE_fg
///
/// with CE_k = −g_k log p_k, summed over the classes of a voxel and averaged over voxels.
/// δ weighs the foreground, 1 − δ the background (UFL defaults δ = 0.7, γ = 2).
///
/// Binary mode (and each channel of multilabel mode): the channel holds the foreground,
/// p_fg = p = σ(z), p_bg = 1 − p, g_fg = g, g_bg = 1 − g, so
///
///     asymmetric:  ℓ = δ·(−g log p) + (1 − δ)·p^γ·(−(1 − g) log(1 − p))
///     symmetric:   ℓ = δ·(1 − p)^γ·(−g log p) + (1 − δ)·p^γ·(−(1 − g) log(1 − p))
///
/// — the symmetric one is the sigmoid focal loss with α = δ (`FocalTerms`), the asymmetric
/// one the same with γ = 0 on the positive term (`AsymmetricFocalTerms`), with log p and
/// log(1 − p) in closed form from logits (gradients in LOSSES.md §6.8). This is
/// exactly UFL's two-channel (bg, fg) formula when its probabilities are (1 − p, p), i.e. a
/// two-class softmax. UFL's code takes only probabilities, indexes `[:, :, :, c]` (2-D
/// only) and its file does not parse (LOSSES.md §1.5); MONAI's port is binary only and
/// takes probabilities despite its docstring.
public struct YeungFocalLoss: PixelObjective {
    public var variant: UnifiedFocalVariant
    /// Weight of the foreground classes (1 − δ on the background), in [0, 1].
    public var delta: Double
    /// Focusing exponent (>= 0).
    public var gamma: Double

    public init(variant: UnifiedFocalVariant = .asymmetric, delta: Double = 0.7, gamma: Double = 2) {
        self.variant = variant
        self.delta = delta
        self.gamma = gamma
    }

    public func validate() throws(SegLossError) {
        try CompoundParts.requireUnit(delta, "delta")
        try SegLossError.requireAtLeast(gamma, 0, "gamma")
    }

    /// The symmetric variant as the sigmoid focal loss it equals.
    var symmetricFocal: FocalLoss { FocalLoss(alpha: delta, gamma: gamma) }

    @inlinable @inline(always)
    public func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        switch variant {
        case .symmetric: FocalTerms<RealPower, Off>(alpha: delta, gamma: gamma).evaluate(x, g, fromLogits: fromLogits)
        case .asymmetric: AsymmetricFocalTerms<RealPower>(delta: delta, gamma: gamma).evaluate(x, g, fromLogits: fromLogits)
        }
    }

    /// γ = 2 gets its powers as products (as `FocalLoss`), γ = 0.5 (the default) square
    /// roots where they vectorise (`FocalPowerKind`); other γ pay an exp per power from
    /// logits, a log and an exp from probabilities (`RealPower`).
    public func specialize<V: PixelObjectiveVisitor>(_ visitor: V) -> V.Result {
        switch (variant, FocalPowerKind(gamma: gamma)) {
        case (.symmetric, _): symmetricFocal.specialize(visitor)
        case (.asymmetric, .square): visitor.visit(AsymmetricFocalTerms<SquarePower>(delta: delta, gamma: gamma))
        case (.asymmetric, .half): visitor.visit(AsymmetricFocalTerms<HalfPower>(delta: delta, gamma: gamma))
        case (.asymmetric, .real): visitor.visit(AsymmetricFocalTerms<RealPower>(delta: delta, gamma: gamma))
        }
    }
}

// MARK: - The asymmetric terms

/// ℓ = −δ·g·log p − (1 − δ)·(1 − g)·p^γ·log(1 − p): the positive term of `FocalTerms`
/// with γ = 0 and its negative term, in one pass (one sigmoid, one power):
///
///     ∂ℓ/∂z = −δ·g·(1 − p) + (1 − δ)(1 − g)·p^γ·[p − γ(1 − p)·log(1 − p)]
@usableFromInline
struct AsymmetricFocalTerms<P: FocalPower>: PixelObjective {
    @usableFromInline var delta: Double
    @usableFromInline var gamma: Double

    @inlinable init(delta: Double, gamma: Double) {
        self.delta = delta
        self.gamma = gamma
    }

    @usableFromInline func validate() throws(SegLossError) {}

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let gm = S(gamma)
        let pos = S(delta) * g, neg = (1 - S(delta)) * (1 - g)
        if fromLogits {
            let s = Sigmoid(logits: x)
            let (logP, logQ) = s.logs(x)
            let pg = P.power(s.p, log: logP, gm)
            let loss = -(pos * logP + neg * pg * logQ)
            let grad = -pos * s.oneMinusP + neg * pg * (s.p - gm * s.oneMinusP * logQ)
            return (loss, grad)
        }
        let c = ClampedProbabilityLogs(x)
        let pg = P.power(c.p, log: c.logP, gm), pg1 = P.slope(c.p, value: pg, inverse: c.dLogP, gm)
        let loss = -(pos * c.logP + neg * pg * c.logQ)
        let grad = -pos * c.dLogP + neg * (-pg1 * c.logQ - pg * c.dLogQ)
        return (loss, c.unclamped ? grad : 0)
    }
}

// MARK: - Multiclass mode

extension YeungFocalLoss {
    /// Multiclass mode (softmax; channel 0 background, the others foreground):
    ///
    ///     ℓ_i = (1 − δ)·(1 − p_0)^γ·CE_0 + δ·Σ_{c≥1} m_c·CE_c,  m_c = (1 − p_c)^γ (symmetric) or 1
    ///
    /// per voxel, in one sweep of the distribution family's categorical evaluator (stable
    /// log-softmax): the symmetric loss is the softmax focal loss with α = δ (MONAI's α
    /// convention: 1 − α on class 0), the asymmetric one that focal term on class 0 and the
    /// δ-weighted cross-entropy on the others (`AsymmetricSoftmaxFocalTerm`). Reduction
    /// over voxels: `none` gives (N, *spatial), `mean` divides by the valid voxels.
    /// `include_background = false` drops the class-0 term. Returns the unscaled value; the
    /// gradient is multiplied by `scale` (and added to the buffer when `accumulate`).
    public func evaluateMulticlass<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>,
        scale: Double = 1, accumulate: Bool = false
    ) throws(SegLossError) -> Double {
        try validate()
        // Class weights 1 − δ (background) and δ (the others); 0 for a dropped background.
        let w = try CategoricalEvaluator.foldedWeights(
            classes: input.shape.channels, weight: nil, alpha: delta, includeBackground: options.includeBackground)
        func sweep<T: CategoricalTerm>(_ term: T) throws(SegLossError) -> Double {
            try CategoricalEvaluator.evaluate(
                term, classWeights: w, meanWeights: nil, input: input, target: target, options: options,
                outputs: outputs, scale: scale, accumulate: accumulate)
        }
        switch (variant, FocalPowerKind(gamma: gamma)) {
        case (.symmetric, .square): return try sweep(SoftmaxFocalTerm<SquarePower, Off>(gamma: gamma))
        case (.symmetric, .half): return try sweep(SoftmaxFocalTerm<HalfPower, Off>(gamma: gamma))
        case (.symmetric, .real): return try sweep(SoftmaxFocalTerm<RealPower, Off>(gamma: gamma))
        case (.asymmetric, .square): return try sweep(AsymmetricSoftmaxFocalTerm<SquarePower>(gamma: gamma))
        case (.asymmetric, .half): return try sweep(AsymmetricSoftmaxFocalTerm<HalfPower>(gamma: gamma))
        case (.asymmetric, .real): return try sweep(AsymmetricSoftmaxFocalTerm<RealPower>(gamma: gamma))
        }
    }
}

/// The per-class term of the asymmetric focal loss in multiclass mode: the softmax focal
/// term −w·g·(1 − p)^γ·log p on the background (class 0), the cross-entropy term −w·g·log p
/// on the other classes (`CategoricalTerm.forClass` picks the form once per class).
@usableFromInline
struct AsymmetricSoftmaxFocalTerm<P: FocalPower>: CategoricalTerm {
    @usableFromInline var focal: SoftmaxFocalTerm<P, Off>
    /// Whether this is the background's term (set by `forClass`).
    @usableFromInline var background = true

    @inlinable init(gamma: Double) {
        focal = SoftmaxFocalTerm(gamma: gamma)
    }

    @inlinable @inline(__always)
    func forClass(_ c: Int) -> Self {
        var term = self
        term.background = c == 0
        return term
    }

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ l: S, _ p: S, _ g: S, _ w: S) -> (loss: S, dl: S) {
        if background { return focal.evaluate(l, p, g, w) }
        let u = -w * g
        return (u * l, u)
    }
}

extension YeungFocalLoss {
    /// The catalogue name.
    public var name: String { "\(variant.name)_focal_loss" }
}

extension YeungFocalTverskyLoss {
    /// The catalogue name.
    public var name: String { "\(variant.name)_focal_tversky_loss" }
}
