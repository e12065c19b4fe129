// MARK: - Focal loss (sigmoid form)

/// Focal loss (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017), sigmoid
/// form for binary and multilabel segmentation, written for soft targets:
///
///     ℓ = −α·g·(1 − p)^γ·log p − (1 − α)·(1 − g)·p^γ·log(1 − p),   p = σ(z)
///     ∂ℓ/∂z = α·g·(1−p)^γ·[γ·p·log p − (1 − p)] + (1−α)(1−g)·p^γ·[p − γ(1 − p)·log(1 − p)]
///
/// (LOSSES.md §6.8). `alpha` weighs the positive class (default 0.25 as the paper,
/// torchvision and SemSegLoss); `alpha = nil` weighs both classes 1 (smp/MONAI default).
/// γ = 0 with α = nil is BCE. log p and log(1 − p) come from the logits in closed form
/// (no clipping); with probabilities they are clamped to [1e−7, 1 − 1e−7].
///
/// smp's two options (LOSSES.md §2 rows 11–12):
/// - `reducedThreshold` th ("reduced focal loss", Sergievskiy & Ponamarev, arXiv 2019,
///   smp `reduced_threshold`): each modulating factor (1 − p_t)^γ becomes
///   ((1 − p_t)/th)^γ where p_t ≥ th and 1 (plain cross-entropy) where p_t < th; p_t is
///   p for the positive term and 1 − p for the negative one, so hard targets give smp's
///   values. The factor jumps at p_t = th unless th = 1/2 (as smp's).
/// - `normalized` (smp `normalized=True`): every voxel's loss is divided by
///   M = max(Σ_i m_i, 1e−6), the sum of the modulating factors m_i = g·m_pos + (1 − g)·m_neg
///   over the valid elements (without α), and M is differentiated too
///   (`FocalLoss.evaluateNormalized`).
/// In multiclass mode both apply to the softmax form's (1 − p_c)^γ.
public struct FocalLoss: PixelObjective {
    public var alpha: Double?
    public var gamma: Double
    /// smp's `reduced_threshold`, in (0, 1]; nil for the plain modulating factor.
    public var reducedThreshold: Double?
    /// smp's `normalized`.
    public var normalized: Bool

    public init(alpha: Double? = 0.25, gamma: Double = 2, reducedThreshold: Double? = nil, normalized: Bool = false) {
        self.alpha = alpha
        self.gamma = gamma
        self.reducedThreshold = reducedThreshold
        self.normalized = normalized
    }

    public func validate() throws(SegLossError) {
        if let alpha { try SegLossError.requireInRange(alpha, 0, 1, "alpha") }
        try SegLossError.requireAtLeast(gamma, 0, "gamma")
        if let th = reducedThreshold {
            guard th.isFinite, th > 0, th <= 1 else {
                throw .value("reduced_threshold", "must lie in (0, 1], got \(th)")
            }
            // The factor's scale th^(−γ) must stay far inside Float's range (else 0·∞ = NaN).
            guard pow(th, -gamma) <= 1e30 else {
                throw .value("reduced_threshold", "threshold^(-gamma) = \(pow(th, -gamma)) is too large (gamma \(gamma)); use a larger threshold or a smaller gamma")
            }
        }
    }

    /// The terms with the plain or the reduced modulating factor.
    @inlinable
    func terms<P: FocalPower, R: StaticFlag>(_: P.Type, _: R.Type) -> FocalTerms<P, R> {
        FocalTerms<P, R>(alpha: alpha, gamma: gamma, threshold: reducedThreshold ?? 1)
    }

    @inlinable @inline(always)
    public func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        reducedThreshold == nil
            ? terms(RealPower.self, Off.self).evaluate(x, g, fromLogits: fromLogits)
            : terms(RealPower.self, On.self).evaluate(x, g, fromLogits: fromLogits)
    }

    /// γ = 2 (the default) gets its powers as products, γ = 0.5 as square roots
    /// (`FocalPowerKind`); other γ pay an exp per power from logits, a log and an exp from
    /// probabilities (`RealPower`). One specialisation per case keeps the library small.
    public func specialize<V: PixelObjectiveVisitor>(_ visitor: V) -> V.Result {
        switch (FocalPowerKind(gamma: gamma), reducedThreshold != nil) {
        case (.square, false): visitor.visit(terms(SquarePower.self, Off.self))
        case (.half, false): visitor.visit(terms(HalfPower.self, Off.self))
        case (.real, false): visitor.visit(terms(RealPower.self, Off.self))
        case (.square, true): visitor.visit(terms(SquarePower.self, On.self))
        case (.half, true), (.real, true): visitor.visit(terms(RealPower.self, On.self))
        }
    }
}

// MARK: - The formula (the power laws are in FocalPowers.swift)

/// smp's reduced modulating factor (`FocalLoss.reducedThreshold`, used by the focal terms
/// when their `R` flag is on): m becomes c·m, c = th^(−γ), where p_t ≥ th, and 1 with zero
/// derivative where p_t < th.
@usableFromInline
struct ReducedFactor: Sendable {
    @usableFromInline var threshold: Double
    @usableFromInline var scale: Double

    @inlinable init(threshold: Double, gamma: Double) {
        self.threshold = threshold
        scale = pow(threshold, -gamma)
    }

    /// (c·m, k·d) where p_t ≥ th, else (1, 0): d is m's derivative (k = c) or the exponent
    /// that the caller's derivative formula multiplies by (k = 1, `scaleDerivative` false).
    @inlinable @inline(always)
    func apply<S: SegScalar>(_ m: S, _ d: S, pt: S, scaleDerivative: Bool) -> (S, S) {
        let on = pt >= S(threshold), c = S(scale)
        return (on ? c * m : 1, on ? (scaleDerivative ? c * d : d) : 0)
    }
}

/// The focal loss terms for a power law `P` (`FocalLoss` picks `P` from γ); with `R` on,
/// smp's reduced modulating factor (`ReducedFactor`; where it is 1 the derivative formulas
/// below hold with γ replaced by 0).
@usableFromInline
struct FocalTerms<P: FocalPower, R: StaticFlag>: PixelObjective {
    @usableFromInline var alpha: Double?
    @usableFromInline var gamma: Double
    @usableFromInline var reduced: ReducedFactor

    @inlinable init(alpha: Double?, gamma: Double, threshold: Double = 1) {
        self.alpha = alpha
        self.gamma = gamma
        reduced = ReducedFactor(threshold: threshold, gamma: gamma)
    }

    @usableFromInline func validate() throws(SegLossError) {}

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let r = evaluateWithFactor(x, g, fromLogits: fromLogits)
        return (r.loss, r.grad)  // the factor's arithmetic is dead code here, and dropped
    }

    /// ℓ and ∂ℓ/∂x, and the element's modulating factor without α,
    /// v = g·m(1 − p) + (1 − g)·m(p), with ∂v/∂x (the normalized form's M = Σ v,
    /// `FocalLoss.evaluateNormalized`). From logits ∂m(1 − p)/∂z = −γ·m(1 − p)·p and
    /// ∂m(p)/∂z = γ·m(p)·(1 − p) (γ → 0 where the reduced factor is 1); from probabilities
    /// the derivatives of the clamped p (0 where clamped).
    @inlinable @inline(always)
    func evaluateWithFactor<S: SegScalar>(
        _ x: S, _ g: S, fromLogits: Bool
    ) -> (loss: S, grad: S, factor: S, factorGrad: S) {
        let wPos = S(alpha ?? 1), wNeg = S(alpha.map { 1 - $0 } ?? 1)
        let gm = S(gamma)
        let pos = wPos * g, neg = wNeg * (1 - g)
        if fromLogits {
            let s = Sigmoid(logits: x)
            let (logP, logQ) = s.logs(x)
            var qg = P.power(s.oneMinusP, log: logQ, gm)  // (1 − p)^γ
            var pg = P.power(s.p, log: logP, gm)          // p^γ
            var gq = gm, gp = gm
            if R.isOn {
                (qg, gq) = reduced.apply(qg, gm, pt: s.p, scaleDerivative: false)
                (pg, gp) = reduced.apply(pg, gm, pt: s.oneMinusP, scaleDerivative: false)
            }
            let loss = -(pos * qg * logP + neg * pg * logQ)
            let grad = pos * qg * (gq * s.p * logP - s.oneMinusP)
                + neg * pg * (s.p - gp * s.oneMinusP * logQ)
            let factor = g * qg + (1 - g) * pg
            let factorGrad = -g * gq * qg * s.p + (1 - g) * gp * pg * s.oneMinusP
            return (loss, grad, factor, factorGrad)
        }
        // Probabilities: differentiate the clamped form directly.
        let cl = ClampedProbabilityLogs(x)
        var qg = P.power(cl.q, log: cl.logQ, gm)  // (1 − p)^γ
        var pg = P.power(cl.p, log: cl.logP, gm)  // p^γ
        var qg1 = P.slope(cl.q, value: qg, inverse: -cl.dLogQ, gm)  // γ(1 − p)^(γ−1)
        var pg1 = P.slope(cl.p, value: pg, inverse: cl.dLogP, gm)   // γ p^(γ−1)
        if R.isOn {
            (qg, qg1) = reduced.apply(qg, qg1, pt: cl.p, scaleDerivative: true)
            (pg, pg1) = reduced.apply(pg, pg1, pt: cl.q, scaleDerivative: true)
        }
        let loss = -(pos * qg * cl.logP + neg * pg * cl.logQ)
        let grad = pos * (qg1 * cl.logP - qg * cl.dLogP) + neg * (-pg1 * cl.logQ - pg * cl.dLogQ)
        let factor = g * qg + (1 - g) * pg
        let factorGrad = -g * qg1 + (1 - g) * pg1
        return (loss, cl.unclamped ? grad : 0, factor, cl.unclamped ? factorGrad : 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
