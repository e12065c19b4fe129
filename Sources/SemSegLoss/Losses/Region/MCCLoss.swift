#if canImport(Glibc)
import Glibc
#endif

// MARK: - Matthews correlation coefficient loss

/// MCC loss (Abhishek & Hamarneh, "Matthews correlation coefficient loss for deep
/// convolutional networks: application to skin lesion segmentation", ISBI 2021;
/// segmentation_models_pytorch `MCCLoss`), on soft counts of one entry:
///
///     tp = TP + ε,  fp = P − TP + ε,  fn = G − TP + ε,  tn = V − P − G + TP + ε
///     M = (tp·tn − fp·fn) / √(A·B·C·E),  A = tp + fp, B = tp + fn, C = tn + fp, E = tn + fn
///     ℓ = 1 − M ∈ [0, 2]
///
/// where V is the number of valid (non-ignored) voxels of the entry, so TN needs no sum
/// of its own. With G and V fixed, A = P + 2ε and E = V − P + 2ε depend on P only and
/// B, C on neither, which gives (LOSSES.md §6.10)
///
///     ∂M/∂TP = (V + 4ε)/√(ABCE),   ∂M/∂P = −(G + 2ε)/√(ABCE) − (M/2)(1/A − 1/E)
///     ∂ℓ/∂p_i = −(∂M/∂TP·g_i + ∂M/∂P)
///
/// ε = `eps` (default 1e-5, smp's) is added to every count as smp does; it keeps the
/// denominator positive. Its side effect: an entry with an empty target predicted empty
/// has M → 1/2 (loss 1/2), not 1 — use the `skip` empty-target policy when images may
/// have empty classes. With ε = 0 an entry whose denominator is 0 (nothing predicted, an
/// empty or full target, or everything predicted) has M = 0 by convention (loss 1, no
/// gradient). smp pools the batch into one MCC (binary only); here the entries are
/// (image, class) pairs, or classes over the batch with `batch`.
/// Reference (LOSSES.md §6.13, ε = 0): p = (0.9, 0.2, 0.7, 0.1), g = (1, 0, 1, 0) gives
/// 0.349186 with gradient (−0.484315, 0.516937, −0.484315, 0.516937).
public struct MCCLoss: RegionObjective {
    public var region: RegionOptions
    public var eps: Double

    /// Only `batch` and `emptyTarget` of `region` are used (the counts take `eps`).
    public init(eps: Double = 1e-5, region: RegionOptions = RegionOptions()) {
        self.eps = eps
        self.region = region
    }

    public func validate() throws(SegLossError) {
        try SegLossError.requireInRange(eps, 0, 1, "eps")
    }

    @inlinable
    public func term(_ s: RegionStats) -> RegionTerm {
        // Soft counts, clamped at 0 against rounding (exact sums keep them ≥ 0).
        let tp = max(s.intersection, 0) + eps
        let fp = max(s.prediction - s.intersection, 0) + eps
        let fn = max(s.target - s.intersection, 0) + eps
        let tn = max(s.valid - s.prediction - s.target + s.intersection, 0) + eps
        let a = tp + fp, b = tp + fn, c = tn + fp, e = tn + fn
        let product = a * b * c * e
        guard product > 0, product.isFinite else { return RegionTerm(loss: 1, dIntersection: 0, dPrediction: 0) }
        let root = product.squareRoot()
        let m = (tp * tn - fp * fn) / root
        let dTP = (s.valid + 4 * eps) / root
        let dP = -(s.target + 2 * eps) / root - 0.5 * m * (1 / a - 1 / e)
        return RegionTerm(loss: 1 - m, dIntersection: -dTP, dPrediction: -dP)
    }
}

// MARK: - Asymmetric similarity loss

/// Asymmetric similarity loss (Hashemi et al., "Asymmetric loss functions and deep densely
/// connected networks for highly imbalanced medical image segmentation: application to
/// multiple sclerosis lesion detection", IEEE Access 2018; SegLoss `AsymLoss`), the F_β
/// score as a loss:
///
///     F_β = (1 + β²)TP / ((1 + β²)TP + β²·FN + FP)
///     ℓ = 1 − (TP + s_n)/(TP + w·FN + (1 − w)·FP + s_d),   w = β²/(1 + β²)
///
/// i.e. a Tversky loss with weight 1 − w on false positives and w on false negatives
/// (`TverskyLoss(alpha: 1 − w, beta: w)`), whose value, gradient and options it reuses.
/// `beta` (β, default 1.5 as the paper and SegLoss) > 1 weighs recall above precision;
/// β = 1 is Dice. SegLoss uses smoothing 1; the default here is 1e-5 like the other region
/// losses.
public struct AsymmetricSimilarityLoss: RegionObjective {
    public var beta: Double
    public var tversky: TverskyLoss

    public init(beta: Double = 1.5, region: RegionOptions = RegionOptions()) {
        self.beta = beta
        let w = Self.fnWeight(beta)
        tversky = TverskyLoss(alpha: 1 - w, beta: w, region: region)
    }

    /// w = β²/(1 + β²), computed as 1/(1 + β⁻²) for large β.
    static func fnWeight(_ beta: Double) -> Double {
        let b2 = beta * beta
        return b2.isFinite ? b2 / (1 + b2) : 1
    }

    public var region: RegionOptions { tversky.region }

    public func validate() throws(SegLossError) {
        try SegLossError.requireAtLeast(beta, 0, "beta")
        try tversky.validate()
    }

    @inlinable
    public func term(_ s: RegionStats) -> RegionTerm { tversky.term(s) }
}
