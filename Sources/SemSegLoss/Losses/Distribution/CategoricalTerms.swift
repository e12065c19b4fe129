// MARK: - Per-class terms of the categorical (softmax) losses

/// One (voxel, class) term t(l, p, g, w) of a categorical loss ℓ_i = Σ_c t(l_ic, p_ic, g_ic, w_c),
/// written in terms of the log-probability l = log p (p = e^l is a function of l), with
/// u = ∂t/∂l. `CategoricalEvaluator` turns u into the gradient:
///
///     logits:         ∂ℓ/∂z_j = u_j − p_j Σ_c u_c      (l_c = z_c − logsumexp z)
///     probabilities:  ∂ℓ/∂p_j = u_j / p_j               (l_j = log clamp(p_j), 0 where clamped)
///
/// `w` is the class's weight (class weight × focal α × 0 for a dropped background).
/// Implementations run in element loops: `@inline(always)`, selects rather than branches.
@usableFromInline
protocol CategoricalTerm: Sendable {
    func evaluate<S: SegScalar>(_ l: S, _ p: S, _ g: S, _ w: S) -> (loss: S, dl: S)
    /// The term of class `c`, taken once per class before its voxel loop. Terms whose form
    /// differs between classes (the asymmetric focal loss: a focal background, plain
    /// cross-entropy elsewhere) set it up here; the others are the same for every class.
    func forClass(_ c: Int) -> Self
}

extension CategoricalTerm {
    @inlinable @inline(__always)
    func forClass(_ c: Int) -> Self { self }
}

// MARK: - Cross-entropy

/// t = −w·g′·l with the label-smoothed target g′ = (1 − ε)·g + ε/C (PyTorch / MONAI
/// `label_smoothing`: (1 − ε)·NLL + (ε/C)·Σ_c −log p_c for one-hot g); u = −w·g′.
/// With logits the gradient is p·Σ_c w_c g′_c − w·g′, i.e. p − g for one-hot g, w = 1, ε = 0.
@usableFromInline
struct CrossEntropyTerm: CategoricalTerm {
    /// 1 − ε and ε/C.
    @usableFromInline var keep: Double
    @usableFromInline var spread: Double

    @inlinable init(smoothing: Double, classes: Int) {
        keep = 1 - smoothing
        spread = smoothing / Double(classes)
    }

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ l: S, _ p: S, _ g: S, _ w: S) -> (loss: S, dl: S) {
        let u = -w * (S(keep) * g + S(spread))
        return (u * l, u)
    }
}

// MARK: - Softmax focal

/// t = −w·g·(1 − p)^γ·l (Lin et al. 2017, categorical form; LOSSES.md §2 row 10, §6.8) with
///
///     u = ∂t/∂l = −w·g·q^γ·(1 − γ·p·l/q),   q = 1 − p
///
/// l/q ≤ −1 is finite for q > 0 and tends to −1 as q → 0, so the gradient stays finite at
/// p = 1 even for γ < 1 (where (1 − p)^(γ−1) alone diverges); q = 0 uses the limit −1.
/// γ = 0 is the cross-entropy term. The power law `P` is chosen by γ (`FocalPower`). With
/// `R` on, smp's reduced factor (`FocalLoss.reducedThreshold`): q^γ becomes c·q^γ,
/// c = th^(−γ), where p ≥ th, and 1 (γ → 0 in u) where p < th.
@usableFromInline
struct SoftmaxFocalTerm<P: FocalPower, R: StaticFlag>: CategoricalTerm {
    @usableFromInline var gamma: Double
    @usableFromInline var reduced: ReducedFactor

    @inlinable init(gamma: Double, threshold: Double = 1) {
        self.gamma = gamma
        reduced = ReducedFactor(threshold: threshold, gamma: gamma)
    }

    @inlinable @inline(always)
    func evaluate<S: SegScalar>(_ l: S, _ p: S, _ g: S, _ w: S) -> (loss: S, dl: S) {
        let gm = S(gamma)
        let q = S.positivePart(1 - p)
        var qg = P.power(q, gm).value
        var ge = gm
        if R.isOn { (qg, ge) = reduced.apply(qg, gm, pt: p, scaleDerivative: false) }
        let ratio = q > 0 ? l / (q > 0 ? q : 1) : -1
        let a = -w * g * qg
        return (a * l, a * (1 - ge * p * ratio))
    }
}
