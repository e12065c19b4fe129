// MARK: - Power laws of the focal modulating factor

// The focal losses' element loops are generic over the power law of their modulating factor
// (1 − p)^γ, so that the common γ get cheaper forms than e^(γ·log x) without a test per element.

/// x^γ and γ·x^(γ−1) for x ∈ [0, 1] (0^0 = 1; 0^γ = 0 for γ > 0; γ·x^(γ−1) = 0 at x = 0
/// for γ < 1 and for γ = 0).
@usableFromInline
protocol FocalPower {
    static func power<S: SegScalar>(_ x: S, _ gamma: S) -> (value: S, derivative: S)
    /// x^γ for x ∈ (0, 1] given l = log x (the logits path has log p and log(1 − p) in
    /// closed form, so a real power costs one exp instead of a log and an exp).
    static func power<S: SegScalar>(_ x: S, log l: S, _ gamma: S) -> S
    /// γ·x^(γ−1) for x ∈ (0, 1] given v = x^γ and r = 1/x (the clamped probabilities'
    /// d log p / dp; r may be 0 where the clamp is active, whose gradient is 0 anyway).
    static func slope<S: SegScalar>(_ x: S, value v: S, inverse r: S, _ gamma: S) -> S
}

@usableFromInline enum SquarePower: FocalPower {
    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, _ gamma: S) -> (value: S, derivative: S) { (x * x, 2 * x) }

    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, log l: S, _ gamma: S) -> S { x * x }

    @inlinable @inline(always)
    static func slope<S: SegScalar>(_ x: S, value v: S, inverse r: S, _ gamma: S) -> S { 2 * x }
}

/// x^(1/2) as a square root, for γ = 0.5 (the unified focal loss's default, Yeung et al.
/// 2022): one `vsqrtps` per power instead of an exp (and a log from probabilities). Only
/// where the square root vectorises (`isVectorised`): Swift's `Float.squareRoot()` calls
/// glibc's `sqrtf` unless Clang's `-fno-math-errno` is on (errno makes the call a side
/// effect), and that call stops the loop vectoriser — this specialisation then measured
/// 4–6× slower than `RealPower`. `pip install .` and `scripts/test.sh` build with
/// `-Xcc -fno-math-errno -DSEMSEG_VECTOR_SQRT`; on the binary batch (16x1x256x256, Zen 2)
/// focal γ = 0.5 took 0.60× the time of `RealPower` from probabilities and 0.65× from
/// logits (benchmarks/HISTORY.md). Values: √x is correctly rounded, e^(½·log x) within a
/// few ulp of it.
@usableFromInline enum HalfPower: FocalPower {
    /// True when built with `-DSEMSEG_VECTOR_SQRT` (which promises `-Xcc -fno-math-errno`).
    @inlinable static var isVectorised: Bool {
        #if SEMSEG_VECTOR_SQRT
        true
        #else
        false
        #endif
    }

    /// √x and 1/(2√x) for x ∈ [0, 1]; the derivative is 0 at x = 0, as `RealPower`'s.
    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, _ gamma: S) -> (value: S, derivative: S) {
        let root = x.squareRoot()
        return (root, root > 0 ? 0.5 / root : 0)
    }

    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, log l: S, _ gamma: S) -> S { x.squareRoot() }

    /// ½·√x·(1/x).
    @inlinable @inline(always)
    static func slope<S: SegScalar>(_ x: S, value v: S, inverse r: S, _ gamma: S) -> S { 0.5 * v * r }
}

/// The power law a γ gets: products for γ = 2 (the focal loss's default), a square root for
/// γ = 0.5 where it vectorises, e^(γ·log x) otherwise. Callers switch on it once per call
/// and hand the type to their generic element loop. smp's reduced factor and `normalized`
/// form keep `RealPower` at γ = 0.5 (fewer specialisations for rare combinations).
@usableFromInline enum FocalPowerKind {
    case square, half, real

    @inlinable init(gamma: Double) {
        if gamma == 2 {
            self = .square
        } else if gamma == 0.5 && HalfPower.isVectorised {
            self = .half
        } else {
            self = .real
        }
    }
}

/// x^γ = e^(γ·log x) for any real γ. Where log x is at hand (from logits in closed form,
/// from probabilities clamped to [ε, 1 − ε] by `ClampedProbabilityLogs`) there is no test of
/// γ or of x = 0 in the element loop: selects on γ = 0, 1, 2 there (giving those γ exact
/// values) made the vectorised binary focal loops twice as slow from logits (16x1x256x256,
/// γ = 0.5: focal 3.18 → 1.55 ms, unified focal 2.61 → 1.58 ms) and several times slower
/// from probabilities (benchmarks/HISTORY.md). γ = 2 and 0.5 get `SquarePower` and
/// `HalfPower` from the callers' dispatch (`FocalPowerKind`); γ = 0 stays exact (e^0 = 1);
/// γ = 1 is within a few ulp of x.
@usableFromInline enum RealPower: FocalPower {
    /// x^γ and γ·x^(γ−1) for x ∈ [0, 1] that may be 0 (1 − p of a softmax) through
    /// `SegScalar.spow` (a log and an exp each; exact for γ ∈ {0, 1, 2}). Branch-free forms
    /// of the x = 0 limits measured 1.15–1.2x *slower* in the multiclass focal loop.
    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, _ gamma: S) -> (value: S, derivative: S) {
        (S.spow(x, gamma), gamma == 0 ? 0 : gamma * S.spow(x, gamma - 1))
    }

    /// e^(γ·l): one exp.
    @inlinable @inline(always)
    static func power<S: SegScalar>(_ x: S, log l: S, _ gamma: S) -> S {
        S.sexp(l * gamma)
    }

    /// γ·x^γ·(1/x): no exp of its own.
    @inlinable @inline(always)
    static func slope<S: SegScalar>(_ x: S, value v: S, inverse r: S, _ gamma: S) -> S {
        gamma * v * r
    }
}
