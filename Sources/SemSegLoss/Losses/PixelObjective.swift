// MARK: - Pixel-wise losses

/// A loss that is a sum of independent per-element terms ℓ(x_i, g_i), where x is a logit
/// (`fromLogits`) or a probability. Implementations return ℓ and ∂ℓ/∂x for 8 lanes.
public protocol PixelObjective: Sendable {
    func validate() throws(SegLossError)
    func evaluate<S: SegScalar>(_ x: SIMD8<S>, _ g: SIMD8<S>, fromLogits: Bool) -> (loss: SIMD8<S>, grad: SIMD8<S>)
}

/// log p and log(1 − p) of probabilities clamped to [ε, 1 − ε] (ε = 1e−7, as Keras and
/// SemSegLoss), with the derivative of the clamped logs: 1/p and −1/(1 − p) inside, 0 where
/// the clamp is active.
@usableFromInline
struct ClampedProbabilityLogs<S: SegScalar> {
    @usableFromInline var logP: SIMD8<S>
    @usableFromInline var logQ: SIMD8<S>
    /// d log p / dp
    @usableFromInline var dLogP: SIMD8<S>
    /// d log(1 − p) / dp
    @usableFromInline var dLogQ: SIMD8<S>
    @usableFromInline var p: SIMD8<S>
    @usableFromInline var q: SIMD8<S>

    @inlinable @inline(__always)
    init(_ pIn: SIMD8<S>) {
        let eps = S.probabilityEpsilon
        p = pIn.clamped(lowerBound: SIMD8(repeating: eps), upperBound: SIMD8(repeating: 1 - eps))
        q = 1 - p
        logP = S.vlog(p)
        logQ = S.vlog(q)
        let inside = (pIn .> eps) .& (pIn .< 1 - eps)
        dLogP = (1 / p).replacing(with: 0, where: .!inside)
        dLogQ = (-1 / q).replacing(with: 0, where: .!inside)
    }
}

// MARK: - Binary cross-entropy

/// Binary cross-entropy with an optional positive-class weight q (`pos_weight`):
///
///     ℓ = −[q·g·log p + (1 − g)·log(1 − p)],  p = σ(z)
///
/// From logits it is evaluated as (1 − g)·z + (1 + (q − 1)g)·(log1p(e^−|z|) + max(−z, 0)),
/// which never overflows, with ∂ℓ/∂z = σ(z)(q·g + 1 − g) − q·g (LOSSES.md §6.7).
/// From probabilities, p is clamped to [1e−7, 1 − 1e−7] inside the logs (gradient 0 where
/// clamped); prefer logits.
public struct BCELoss: PixelObjective {
    /// q > 0; 1 is the plain BCE. SemSegLoss's `weighted_cross_entropyloss` uses
    /// q = β/(1 − β) = 1/3, which *down*-weights positives (LOSSES.md §1.1).
    public var posWeight: Double

    public init(posWeight: Double = 1) { self.posWeight = posWeight }

    public func validate() throws(SegLossError) {
        guard posWeight.isFinite, posWeight > 0 else {
            throw .value("pos_weight", "must be a finite number > 0, got \(posWeight)")
        }
    }

    @inlinable @inline(__always)
    public func evaluate<S: SegScalar>(_ x: SIMD8<S>, _ g: SIMD8<S>, fromLogits: Bool) -> (loss: SIMD8<S>, grad: SIMD8<S>) {
        let q = S(posWeight)
        if fromLogits {
            let s = SigmoidParts(logits: x)
            let (logP, logQ) = s.logs(x)
            let loss = -(q * g * logP + (1 - g) * logQ)
            let grad = s.p * (q * g + 1 - g) - q * g
            return (loss, grad)
        }
        let c = ClampedProbabilityLogs(x)
        let loss = -(q * g * c.logP + (1 - g) * c.logQ)
        let grad = -(q * g * c.dLogP + (1 - g) * c.dLogQ)
        return (loss, grad)
    }
}
