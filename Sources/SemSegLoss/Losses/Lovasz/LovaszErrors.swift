// MARK: - Per-voxel errors of the Lovász losses

/// The per-voxel error e(x, g) that a Lovász loss sorts, and its slope ∂e/∂x (with the
/// activation's chain rule folded in). Implementations are tiny value types so that the
/// entry kernel is specialised for each (no calls in its loops).
protocol LovaszErrorFunction: Sendable {
    associatedtype S: SegScalar
    /// Whether the input holds logits (finite reals) rather than probabilities in [0, 1].
    static var logits: Bool { get }
    /// The error; ≤ 0 (or NaN for invalid input) means "does not contribute".
    func error(_ x: S, _ g: S) -> S
    /// ∂e/∂x where e > 0.
    func slope(_ x: S, _ g: S) -> S
    /// Whether `slope(error:label:)` gives ∂e/∂x from the error and a hard label alone
    /// (so the sorted walk need not read the input back).
    static var slopeFromError: Bool { get }
    /// ∂e/∂x for a hard label g ∈ {0, 1}, from e; only used when `slopeFromError`.
    func slope(error e: S, label g: S) -> S
}

// MARK: - Hinge margins (Lovász hinge)

/// m = 1 − z·s with s = 2g − 1, on logits z: ∂m/∂z = −s = 1 − 2g.
struct HingeOnLogits<S: SegScalar>: LovaszErrorFunction {
    static var logits: Bool { true }

    @inline(__always)
    func error(_ z: S, _ g: S) -> S { 1 - z * (2 * g - 1) }

    @inline(__always)
    func slope(_ z: S, _ g: S) -> S { 1 - 2 * g }

    static var slopeFromError: Bool { true }

    @inline(__always)
    func slope(error e: S, label g: S) -> S { 1 - 2 * g }
}

/// The hinge on probabilities: z = logit(p̂) with p̂ = p clamped to [ε, 1 − ε]
/// (ε = `S.probabilityEpsilon`), so ∂m/∂p = (1 − 2g)/(p(1 − p)) inside the clamp and 0
/// where the clamp is active (|z| ≤ 16.1 for Float, 36.8 for Double).
struct HingeOnProbabilities<S: SegScalar>: LovaszErrorFunction {
    static var logits: Bool { false }

    @inline(__always)
    func error(_ p: S, _ g: S) -> S {
        let q = S.sclamp(p, S.probabilityEpsilon, 1 - S.probabilityEpsilon)
        let z = S.slogNormal(q) - S.slogNormal(1 - q)
        return 1 - z * (2 * g - 1)
    }

    @inline(__always)
    func slope(_ p: S, _ g: S) -> S {
        let inside = p > S.probabilityEpsilon && p < 1 - S.probabilityEpsilon
        return inside ? (1 - 2 * g) / (p * (1 - p)) : 0
    }

    static var slopeFromError: Bool { false }

    @inline(__always)
    func slope(error e: S, label g: S) -> S { 0 }
}

// MARK: - Absolute errors (Lovász-softmax)

/// e = |g − p| on probabilities: ∂e/∂p = sign(p − g) (0 at p = g, where e = 0 anyway).
struct AbsoluteErrorOnProbabilities<S: SegScalar>: LovaszErrorFunction {
    static var logits: Bool { false }

    @inline(__always)
    func error(_ p: S, _ g: S) -> S { abs(g - p) }

    @inline(__always)
    func slope(_ p: S, _ g: S) -> S { p > g ? 1 : (p < g ? -1 : 0) }

    static var slopeFromError: Bool { true }

    /// e > 0 with g ∈ {0, 1}: p > g exactly when g = 0.
    @inline(__always)
    func slope(error e: S, label g: S) -> S { 1 - 2 * g }
}

/// e = |g − σ(z)| on logits (binary / multilabel Lovász-softmax, the "Lovász-sigmoid"):
/// ∂e/∂z = sign(p − g)·p(1 − p), with the stable sigmoid.
struct AbsoluteErrorOnLogits<S: SegScalar>: LovaszErrorFunction {
    static var logits: Bool { true }

    @inline(__always)
    func error(_ z: S, _ g: S) -> S { abs(g - Sigmoid(logits: z).p) }

    @inline(__always)
    func slope(_ z: S, _ g: S) -> S {
        let s = Sigmoid(logits: z)
        return s.p > g ? s.derivative : (s.p < g ? -s.derivative : 0)
    }

    static var slopeFromError: Bool { true }

    /// With g ∈ {0, 1}, e is p (g = 0) or 1 − p (g = 1), so σ'(z) = p(1 − p) = e(1 − e).
    @inline(__always)
    func slope(error e: S, label g: S) -> S { (1 - 2 * g) * (e * (1 - e)) }
}
