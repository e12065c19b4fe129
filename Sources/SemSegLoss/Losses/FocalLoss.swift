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

    @inlinable @inline(__always)
    public func evaluate<S: SegScalar>(_ x: SIMD8<S>, _ g: SIMD8<S>, fromLogits: Bool) -> (loss: SIMD8<S>, grad: SIMD8<S>) {
        let wPos = S(alpha ?? 1), wNeg = S(alpha.map { 1 - $0 } ?? 1)
        let gm = S(gamma)
        let pos = wPos * g, neg = wNeg * (1 - g)
        if fromLogits {
            let s = SigmoidParts(logits: x)
            let (logP, logQ) = s.logs(x)
            let qg = S.vpow(s.oneMinusP, gm)   // (1 − p)^γ
            let pg = S.vpow(s.p, gm)           // p^γ
            let loss = -(pos * qg * logP + neg * pg * logQ)
            let grad = pos * qg * (gm * s.p * logP - s.oneMinusP)
                + neg * pg * (s.p - gm * s.oneMinusP * logQ)
            return (loss, grad)
        }
        // Probabilities: differentiate the clamped form directly.
        let c = ClampedProbabilityLogs(x)
        let qg = S.vpow(c.q, gm), pg = S.vpow(c.p, gm)
        let inside = (x .> S.probabilityEpsilon) .& (x .< 1 - S.probabilityEpsilon)
        let qg1 = gm == 0 ? SIMD8<S>(repeating: 0) : gm * S.vpow(c.q, gm - 1)  // γ(1 − p)^(γ−1)
        let pg1 = gm == 0 ? SIMD8<S>(repeating: 0) : gm * S.vpow(c.p, gm - 1)  // γ p^(γ−1)
        let loss = -(pos * qg * c.logP + neg * pg * c.logQ)
        var grad = pos * (qg1 * c.logP - qg * c.dLogP) + neg * (-pg1 * c.logQ - pg * c.dLogQ)
        grad = grad.replacing(with: 0, where: .!inside)
        return (loss, grad)
    }
}
