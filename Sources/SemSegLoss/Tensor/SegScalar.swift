import RealModule

// MARK: - Scalar types

/// The element types the library computes in: `Float` and `Double`.
///
/// Kernels are written once, generically, as plain per-element loops over raw buffers;
/// for Float, LLVM's loop vectoriser turns them into full-width vector code (see
/// `FastMath` for why this beats hand-written `SIMD` code in Swift 6.3). The requirements
/// below are the transcendental pieces, implemented without library calls for Float
/// (`FastMath`, ~1 ulp) and with glibc for Double (full precision for finite-difference
/// checks). Implementations are `@inline(always)`: a call left in a loop body stops the
/// vectoriser.
public protocol SegScalar: BinaryFloatingPoint, AlgebraicField, SIMDScalar, Sendable, Codable
where Self.SIMD8Storage: Sendable {
    /// e^x (Float: clamped to [−87.3, 88.7], see `FastMath.exp`).
    static func sexp(_ x: Self) -> Self
    /// Natural logarithm for x > 0 (Float: log 0 = −87.3, see `FastMath.log`).
    static func slog(_ x: Self) -> Self
    /// Natural logarithm for a positive, normal, finite x or NaN (a probability clamped to
    /// [`probabilityEpsilon`, 1 − `probabilityEpsilon`], a softmax denominator in [1, C]);
    /// Float skips `slog`'s clamps to that range (`FastMath.logOfNormal`).
    static func slogNormal(_ x: Self) -> Self
    /// e^(−|x|) ∈ (0, 1], the one exponential of the stable sigmoid; same values as
    /// `sexp(-abs(x))`.
    static func expNegativeMagnitude(_ x: Self) -> Self
    /// log(1 + x) for x ∈ [0, 1] (accurate also for tiny x, where 1 + x rounds to 1).
    static func log1pUnit(_ x: Self) -> Self

    /// Smallest probability used inside logarithms when `from_logits` is false.
    static var probabilityEpsilon: Self { get }
    /// Name of the type as shown to users (`float32`, `float64`).
    static var dtypeName: String { get }
    /// 1 when x may lie outside [0, 1] (or be NaN), else 0: one unsigned comparison of the
    /// bit pattern against that of 1. A superset test — it also flags −0 — for element
    /// loops that count suspects and re-check them exactly on the rare error path.
    static func maybeOutsideUnit(_ x: Self) -> Int32
    /// The bit pattern as an unsigned integer, ordered so that a running maximum does the
    /// work of `maybeOutsideUnit` in one instruction per vector: the maximum over a block
    /// is at most `unitBits(1)` exactly when no element is negative, −0, NaN or above 1.
    associatedtype UnitBits: FixedWidthInteger & UnsignedInteger & Sendable
    static func unitBits(_ x: Self) -> UnitBits
}

// MARK: - Derived functions (generic, built on the requirements)

extension SegScalar {
    /// x^γ for x >= 0: 0^0 = 1, 0^γ = 0 (γ > 0), exact for γ ∈ {0, 1, 2}; any real γ for x > 0.
    /// Selects rather than branches (element loops stay vectorisable), so exp and log are
    /// always evaluated: hoist known γ out of loops (see `FocalLoss.specialize`).
    @inlinable @inline(always)
    public static func spow(_ x: Self, _ gamma: Self) -> Self {
        let safe = x > 0 ? x : 1
        let general = x > 0 ? sexp(slog(safe) * gamma) : 0
        return gamma == 0 ? 1 : gamma == 1 ? x : gamma == 2 ? x * x : general
    }

    /// x clamped to [lo, hi] (NaN stays NaN).
    @inlinable @inline(always)
    public static func sclamp(_ x: Self, _ lo: Self, _ hi: Self) -> Self {
        let a = x < lo ? lo : x
        return a > hi ? hi : a
    }

    /// max(x, 0) (NaN stays NaN).
    @inlinable @inline(always)
    public static func positivePart(_ x: Self) -> Self { x < 0 ? 0 : x }
}
