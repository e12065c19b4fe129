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
public struct FocalLoss: PixelObjective {
    public var alpha: Double?
    public var gamma: Double

    public init(alpha: Double? = 0.25, gamma: Double = 2) {
        self.alpha = alpha
        self.gamma = gamma
    }

    public func validate() throws(SegLossError) {
        if let alpha { try SegLossError.requireInRange(alpha, 0, 1, "alpha") }
        try SegLossError.requireAtLeast(gamma, 0, "gamma")
    }

    @inlinable @inline(always)
    public func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        FocalTerms<RealPower>(alpha: alpha, gamma: gamma).evaluate(x, g, fromLogits: fromLogits)
    }

    /// γ = 2 (the default) gets its powers as products; other γ pay an exp and a log per
    /// power (`RealPower`, exact for γ = 0 and 1 too). One specialisation per case keeps the
    /// library small.
    public func specialize<V: PixelObjectiveVisitor>(_ visitor: V) -> V.Result {
        gamma == 2
            ? visitor.visit(FocalTerms<SquarePower>(alpha: alpha, gamma: gamma))
            : visitor.visit(FocalTerms<RealPower>(alpha: alpha, gamma: gamma))
    }
}

// MARK: - The formula, with the power as a type

/// x^γ and γ·x^(γ−1) for x ∈ [0, 1] (0^0 = 1; 0^γ = 0 for γ > 0; γ·x^(γ−1) = 0 at x = 0
/// for γ < 1 and for γ = 0).
@usableFromInline
protocol FocalPower {
    static func power<S: SegScalar>(_ x: S, _ gamma: S) -> (value: S, derivative: S)
    /// x^γ for x ∈ (0, 1] given l = log x (the logits path has log p and log(1 − p) in
    /// closed form, so a real power costs one exp instead of a log and an exp).
    static func power<S: SegScalar>(_ x: S, log l: S, _ gamma: S) -> S
}

@usableFromInline enum SquarePower: FocalPower {
    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, _ gamma: S) -> (value: S, derivative: S) { (x * x, 2 * x) }

    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, log l: S, _ gamma: S) -> S { x * x }
}

@usableFromInline enum RealPower: FocalPower {
    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, _ gamma: S) -> (value: S, derivative: S) {
        (S.spow(x, gamma), gamma == 0 ? 0 : gamma * S.spow(x, gamma - 1))
    }

    /// e^(γ·l), with γ = 0, 1, 2 exact as in `SegScalar.spow`.
    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, log l: S, _ gamma: S) -> S {
        let general = S.sexp(l * gamma)
        return gamma == 0 ? 1 : gamma == 1 ? x : gamma == 2 ? x * x : general
    }
}

/// The focal loss terms for a power law `P` (`FocalLoss` picks `P` from γ).
@usableFromInline
struct FocalTerms<P: FocalPower>: PixelObjective {
    @usableFromInline var alpha: Double?
    @usableFromInline var gamma: Double

    @inlinable init(alpha: Double?, gamma: Double) {
        self.alpha = alpha
        self.gamma = gamma
    }

    @usableFromInline func validate() throws(SegLossError) {}

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ x: S, _ g: S, fromLogits: Bool) -> (loss: S, grad: S) {
        let wPos = S(alpha ?? 1), wNeg = S(alpha.map { 1 - $0 } ?? 1)
        let gm = S(gamma)
        let pos = wPos * g, neg = wNeg * (1 - g)
        if fromLogits {
            let s = Sigmoid(logits: x)
            let (logP, logQ) = s.logs(x)
            let qg = P.power(s.oneMinusP, log: logQ, gm)  // (1 − p)^γ
            let pg = P.power(s.p, log: logP, gm)          // p^γ
            let loss = -(pos * qg * logP + neg * pg * logQ)
            let grad = pos * qg * (gm * s.p * logP - s.oneMinusP)
                + neg * pg * (s.p - gm * s.oneMinusP * logQ)
            return (loss, grad)
        }
        // Probabilities: differentiate the clamped form directly.
        let c = ClampedProbabilityLogs(x)
        let (qg, qg1) = P.power(c.q, gm)  // (1 − p)^γ, γ(1 − p)^(γ−1)
        let (pg, pg1) = P.power(c.p, gm)  // p^γ, γ p^(γ−1)
        let loss = -(pos * qg * c.logP + neg * pg * c.logQ)
        let grad = pos * (qg1 * c.logP - qg * c.dLogP) + neg * (-pg1 * c.logQ - pg * c.dLogQ)
        return (loss, c.unclamped ? grad : 0)
    }
}
