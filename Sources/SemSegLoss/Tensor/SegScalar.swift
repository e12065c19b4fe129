#if canImport(Glibc)
import Glibc
#endif

// MARK: - Scalar types

/// The element types the library computes in: `Float` and `Double`.
///
/// Kernels are written once, generically, over 8-lane vectors `SIMD8<Self>`.
/// `Float` uses the branch-free polynomial `exp`/`log` of `FastMath` (about 1 ulp, and
/// vectorised); `Double` calls the C library lane by lane so that finite-difference checks
/// in Double see full precision.
public protocol SegScalar: BinaryFloatingPoint, SIMDScalar, Sendable
where Self.SIMD8Storage: Sendable {
    /// Lane-wise e^x.
    static func vexp(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// Lane-wise natural logarithm (x > 0).
    static func vlog(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// Scalar e^x with the same accuracy as `vexp`.
    static func sexp(_ x: Self) -> Self
    /// Scalar natural logarithm with the same accuracy as `vlog`.
    static func slog(_ x: Self) -> Self
    /// Smallest probability used inside logarithms when `from_logits` is false.
    static var probabilityEpsilon: Self { get }
    /// Name of the type as shown to users (`float32`, `float64`).
    static var dtypeName: String { get }
}

extension Float: SegScalar {
    @inlinable @inline(__always)
    public static func vexp(_ x: SIMD8<Float>) -> SIMD8<Float> { FastMath.exp(x) }
    @inlinable @inline(__always)
    public static func vlog(_ x: SIMD8<Float>) -> SIMD8<Float> { FastMath.log(x) }
    @inlinable @inline(__always)
    public static func sexp(_ x: Float) -> Float { FastMath.exp(SIMD8(repeating: x))[0] }
    @inlinable @inline(__always)
    public static func slog(_ x: Float) -> Float { FastMath.log(SIMD8(repeating: x))[0] }
    public static var probabilityEpsilon: Float { 1e-7 }
    public static var dtypeName: String { "float32" }
}

extension Double: SegScalar {
    @inlinable @inline(__always)
    public static func vexp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var r = x
        for i in 0..<8 { r[i] = Glibc.exp(x[i]) }
        return r
    }
    @inlinable @inline(__always)
    public static func vlog(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var r = x
        for i in 0..<8 { r[i] = Glibc.log(x[i]) }
        return r
    }
    @inlinable @inline(__always)
    public static func sexp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable @inline(__always)
    public static func slog(_ x: Double) -> Double { Glibc.log(x) }
    public static var probabilityEpsilon: Double { 1e-7 }
    public static var dtypeName: String { "float64" }
}

// MARK: - Derived vector functions (generic)

extension SegScalar {
    /// log(1 + x) for x >= 0, accurate also when 1 + x rounds to 1:
    /// with u = 1 + x, log1p(x) ≈ log(u) − ((u − 1) − x)/u.
    @inlinable @inline(__always)
    public static func vlog1p(_ x: SIMD8<Self>) -> SIMD8<Self> {
        let u = x + 1
        return vlog(u) - ((u - 1) - x) / u
    }

    /// x^γ for x >= 0 and γ >= 0 with 0^0 = 1 and 0^γ = 0 (γ > 0), exact for γ ∈ {0, 1, 2}.
    @inlinable @inline(__always)
    public static func vpow(_ x: SIMD8<Self>, _ gamma: Self) -> SIMD8<Self> {
        if gamma == 0 { return SIMD8(repeating: 1) }
        if gamma == 1 { return x }
        if gamma == 2 { return x * x }
        let safe = x.replacing(with: 1, where: x .<= 0)
        let r = vexp(vlog(safe) * gamma)
        return r.replacing(with: 0, where: x .<= 0)
    }
}
