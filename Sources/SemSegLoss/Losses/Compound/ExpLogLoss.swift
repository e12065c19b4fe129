// MARK: - Exponential logarithmic loss (Wong et al. 2018)

/// Exponential logarithmic loss (Wong, Moradi, Tang & Syeda-Mahmood, "3D segmentation with
/// exponential logarithmic loss for highly unbalanced object sizes", MICCAI 2018;
/// LOSSES.md §2 row 48, §6.6):
///
///     ℓ = w_dice·E_c[ max(−ln D_c, ε)^γ_dice ] + w_ce·E_x[ max(−ln p_l, ε)^γ_ce ]
///
/// Where the exponents are applied (LOSSES.md §4.10): γ_dice to each (image, class) Dice
/// before the mean over entries, γ_ce to each voxel's cross-entropy before the mean over
/// voxels — as in the paper. SegLoss's `ExpLog_loss` applies γ to the mean Dice and none
/// to the cross-entropy; defaults w = 0.8 / 0.2 and γ = 0.3 are the paper's and SegLoss's.
/// The paper's class-frequency weights w_l of the cross-entropy are not applied (w_l = 1).
/// Multiclass mode: softmax, Dice per (image, class), cross-entropy Σ_c g_c·(−log p_c)^γ
/// per voxel from the stable log-softmax (`ExpLogCategoricalTerm`).
///
/// The bases are clamped at ε = `floor` (default 1e-7): (−ln D)^γ with γ < 1 has an infinite
/// derivative at D = 1 (a perfect prediction), and so has (−ln p)^γ at p = 1 with
/// probabilities input; below the floor the gradient is 0. `reduction = none` is refused.
public struct ExpLogLoss: Sendable {
    public var weightDice: Double
    public var weightCE: Double
    public var dice: ExpLogDiceTerm
    public var crossEntropy: ExpLogCrossEntropy

    public init(
        weightDice: Double = 0.8, weightCE: Double = 0.2, gammaDice: Double = 0.3, gammaCE: Double = 0.3,
        floor: Double = 1e-7, region: RegionOptions = RegionOptions()
    ) {
        self.weightDice = weightDice
        self.weightCE = weightCE
        dice = ExpLogDiceTerm(gamma: gammaDice, floor: floor, region: region)
        crossEntropy = ExpLogCrossEntropy(gamma: gammaCE, floor: floor)
    }

    public func validate(_ options: LossOptions) throws(SegLossError) {
        try SegLossError.requireAtLeast(weightDice, 0, "w_dice")
        try SegLossError.requireAtLeast(weightCE, 0, "w_ce")
        try dice.validate()
        try crossEntropy.validate()
        try CompoundParts.requireReduced(options, "exp_log_loss", parts: "Dice and cross-entropy")
    }

    public func evaluate<S: SegScalar>(
        input: TensorView<S>, target: LossTarget<S>, options: LossOptions, outputs: LossOutputs<S>
    ) throws(SegLossError) -> Double {
        try validate(options)
        if options.mode == .multiclass {
            let weights = try CategoricalEvaluator.foldedWeights(
                classes: input.shape.channels, weight: nil, alpha: nil, includeBackground: options.includeBackground)
            return try CompoundParts.regionPlusCategorical(
                dice, weightDice, ExpLogCategoricalTerm(gamma: crossEntropy.gamma, floor: crossEntropy.floor),
                classWeights: weights, weightCE, input: input, target: target, options: options, outputs: outputs)
        }
        // Not fused (`RegionPixelEvaluator`): this loss is bound by the four exp/log of its
        // cross-entropy per voxel, and the one-sweep form measured 3-4% slower on
        // 16x1x256x256 (its 16 row tasks balance worse over the threads than the pixel
        // evaluator's 64 chunks), against 1.2-1.4x faster for the other compound losses.
        return try CompoundParts.regionPlusPixel(
            dice, weightDice, crossEntropy, weightCE, input: input, target: target.requireDense("exp_log_loss"),
            options: options, outputs: outputs, fused: false)
    }
}

// MARK: - The Dice part

/// ℓ = max(x, ε)^γ with x = −ln D = ln U − ln(2TP + s_n), D = (2TP + s_n)/U, U = P + G + s_d:
///
///     ∂ℓ/∂TP = −γ·x^(γ−1)·2/(2TP + s_n),   ∂ℓ/∂P = γ·x^(γ−1)/U   (0 where x ≤ ε)
///
/// D is taken ≥ 1e-12 (−ln D ≤ 27.6; gradient 0 below), so 2TP + s_n = 0 stays finite.
public struct ExpLogDiceTerm: RegionObjective {
    public var gamma: Double
    public var floor: Double
    public var region: RegionOptions
    static let smallestDice = 1e-12

    public init(gamma: Double = 0.3, floor: Double = 1e-7, region: RegionOptions = RegionOptions()) {
        self.gamma = gamma
        self.floor = floor
        self.region = region
    }

    public func validate() throws(SegLossError) {
        try region.validate()
        try SegLossError.requireAtLeast(gamma, 0, "gamma_dice")
        try CompoundParts.requireUnit(floor, "floor")
        if gamma < 1 && floor == 0 {
            throw .value("floor", "must be > 0 when gamma_dice < 1: the gradient is infinite at a perfect prediction")
        }
    }

    public func term(_ s: RegionStats) -> RegionTerm {
        let num = 2 * s.intersection + region.smoothNumerator
        let u = s.prediction + s.target + region.smoothDenominator
        guard u > 0 else { return RegionTerm(loss: 0, dIntersection: 0, dPrediction: 0) }
        let dice = num / u
        guard dice > Self.smallestDice else {
            return RegionTerm(loss: pow(-log(Self.smallestDice), gamma), dIntersection: 0, dPrediction: 0)
        }
        let x = dice >= 1 ? 0 : -log(dice)
        let (value, dx) = clampedPower(x, gamma: gamma, floor: floor)
        return RegionTerm(loss: value, dIntersection: -dx * 2 / num, dPrediction: dx / u)
    }
}

// MARK: - The cross-entropy part

/// ℓ = g·max(a, ε)^γ + (1 − g)·max(b, ε)^γ with a = −log p, b = −log(1 − p) — the paper's
/// (−ln p_l)^γ of the true class, written for soft targets. From logits a and b come in
/// closed form and ∂a/∂z = −(1 − p), ∂b/∂z = p; from probabilities p is clamped to
/// [1e−7, 1 − 1e−7]. γ = 1 is the binary cross-entropy.
public struct ExpLogCrossEntropy: PixelObjective {
    public var gamma: Double
    public var floor: Double

    public init(gamma: Double = 0.3, floor: Double = 1e-7) {
        self.gamma = gamma
        self.floor = floor
    }

    public func validate() throws(SegLossError) {
        try SegLossError.requireAtLeast(gamma, 0, "gamma_ce")
        try CompoundParts.requireUnit(floor, "floor")
        if gamma < 1 && floor == 0 {
            throw .value("floor", "must be > 0 when gamma_ce < 1: the gradient is infinite at a perfect prediction")
        }
    }

    /// max(x, ε)^γ and its derivative in x (0 where x ≤ ε), one exp and one log.
    @inlinable @inline(always)
    static func clamped<S: SegScalar>(_ x: S, _ gamma: S, _ floor: S) -> (S, S) {
        let above = x > floor
        let b = above ? x : floor
        let v = S.sexp(S.slog(b) * gamma)
        return (v, above ? gamma * v / b : 0)
    }

    @inlinable @inline(always)
    public func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let gm = S(gamma), fl = S(floor)
        if fromLogits {
            let s = Sigmoid(logits: x)
            let (logP, logQ) = s.logs(x)
            let (va, da) = Self.clamped(-logP, gm, fl)
            let (vb, db) = Self.clamped(-logQ, gm, fl)
            return (g * va + (1 - g) * vb, -g * da * s.oneMinusP + (1 - g) * db * s.p)
        }
        let c = ClampedProbabilityLogs(x)
        let (va, da) = Self.clamped(-c.logP, gm, fl)
        let (vb, db) = Self.clamped(-c.logQ, gm, fl)
        return (g * va + (1 - g) * vb, -(g * da * c.dLogP + (1 - g) * db * c.dLogQ))
    }
}

extension ExpLogCrossEntropy {
    public var hasHardTargetForm: Bool { true }

    /// With hard labels, `ExpLogHardCrossEntropy` (one power per voxel instead of two).
    public func specialize<V: PixelObjectiveVisitor>(_ visitor: V, hardTargets: Bool) -> V.Result {
        hardTargets ? visitor.visit(ExpLogHardCrossEntropy(gamma: gamma, floor: floor)) : visitor.visit(self)
    }
}

/// `ExpLogCrossEntropy` for g ∈ {0, 1}: ℓ = max(c, ε)^γ with c = −log p where g = 1 and
/// c = −log(1 − p) where g = 0 — the term the general form multiplies by 0 is not computed
/// (one log and one exp per voxel saved). Same values as the general form (up to the sign
/// of a zero gradient).
@usableFromInline
struct ExpLogHardCrossEntropy: PixelObjective {
    @usableFromInline var gamma: Double
    @usableFromInline var floor: Double

    @inlinable init(gamma: Double, floor: Double) {
        self.gamma = gamma
        self.floor = floor
    }

    @usableFromInline func validate() throws(SegLossError) {}

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let gm = S(gamma), fl = S(floor), one = g == 1
        if fromLogits {
            let s = Sigmoid(logits: x)
            let (logP, logQ) = s.logs(x)
            let (v, dv) = ExpLogCrossEntropy.clamped(one ? -logP : -logQ, gm, fl)
            return (v, one ? -dv * s.oneMinusP : dv * s.p)
        }
        let c = ClampedProbabilityLogs(x)
        let (v, dv) = ExpLogCrossEntropy.clamped(one ? -c.logP : -c.logQ, gm, fl)
        return (v, -dv * (one ? c.dLogP : c.dLogQ))
    }
}

/// The categorical voxel term t = w·g·max(−l, ε)^γ (l = log p), u = ∂t/∂l =
/// −w·g·γ·max(−l, ε)^(γ−1) (0 where −l ≤ ε); see `CategoricalTerm`.
@usableFromInline
struct ExpLogCategoricalTerm: CategoricalTerm {
    @usableFromInline var gamma: Double
    @usableFromInline var floor: Double

    @inlinable init(gamma: Double, floor: Double) {
        self.gamma = gamma
        self.floor = floor
    }

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ l: S, _ p: S, _ g: S, _ w: S) -> (loss: S, dl: S) {
        let (v, dv) = ExpLogCrossEntropy.clamped(-l, S(gamma), S(floor))
        return (w * g * v, -w * g * dv)
    }
}

#if canImport(Glibc)
import Glibc
#endif
