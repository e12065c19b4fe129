// MARK: - Branch-free exp and log for Float

/// `exp` and `log` for Float written as straight-line scalar code (no libm calls, no
/// branches, no `floor`), so that LLVM's loop vectoriser turns the kernels' element loops
/// into full-width vector code (16 lanes with AVX-512, 8 with AVX2, 4 with SSE2).
///
/// Both follow the classic Cephes single-precision scheme (S. L. Moshier): range
/// reduction by ln 2 and a minimax polynomial (exp: degree 6, fitted here, see
/// `expReduced`; log: Cephes' degree 8), accurate to about 1 ulp on the ranges the losses
/// use. Tested against glibc in `FastMathTests`.
///
/// Why scalar code rather than `SIMD16<Float>`: in Swift 6.3, SIMD float arithmetic and
/// `replacing(with:where:)` are emitted lane by lane and left to LLVM's SLP vectoriser,
/// which re-vectorises long polynomial chains only partially (measured: the log polynomial
/// ended up in xmm pieces and scalar `vmulss`, 3-5x slower). The loop vectoriser widens
/// every instruction of a loop body uniformly, so it is the reliable route.
/// Fused multiply-adds: only when the package is built with `-Xswiftc -DSEMSEG_FMA` (for a
/// CPU with FMA, e.g. with `-target-cpu native` on x86-64-v3 or newer; always fine on arm64):
/// pass 1 of Dice gets ~18% faster and results move by at most ~1 ulp. Without the define
/// every `mulAdd` is a separate multiply and add, identical on every CPU (a fused
/// multiply-add on a CPU without FMA would be a slow libm call, so it is never the default).
public enum FastMath {
    /// 1.5 · 2^23: adding it rounds a Float in (−2^22, 2^22) to the nearest integer.
    @usableFromInline static let roundingMagic: Float = 12_582_912

    /// e^x. The input is clamped to [−87.3, 88.7]: e^x underflows to about 1.2e−38
    /// instead of 0 and overflows to about 3.4e38 instead of ∞ (NaN stays NaN).
    @inlinable @inline(always)
    public static func exp(_ xIn: Float) -> Float {
        var x = xIn < -87.3 ? -87.3 : xIn
        x = xIn > 88.7 ? 88.7 : x  // NaN compares false and stays NaN
        let (y, t) = expReduced(x)
        // 2^n: n can be −126 ... 128; split in two factors to stay in the normal range.
        let nBits = Int32(bitPattern: t.bitPattern) &- Int32(bitPattern: roundingMagic.bitPattern)
        let half = nBits &>> 1
        let s1 = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let s2 = Float(bitPattern: UInt32(bitPattern: (nBits &- half &+ 127) &<< 23))
        return y * s1 * s2
    }

    /// e^x for x ≤ 0 (or NaN): the same values as `exp`, without the overflow side.
    /// With x ≥ −87.3, n ≥ −126 and 2^n is one normal factor (y·2^a·2^b = y·2^(a+b)
    /// exactly, so the result is bit-identical to `exp`).
    @inlinable @inline(always)
    public static func expNonPositive(_ xIn: Float) -> Float {
        let x = xIn < -87.3 ? -87.3 : xIn
        let (y, t) = expReduced(x)
        // (bits(t) − bits(magic) + 127) << 23, with the constants folded
        return y * Float(bitPattern: (t.bitPattern &- (roundingMagic.bitPattern &- 127)) &<< 23)
    }

    /// e^(−|x|) ∈ (0, 1].
    @inlinable @inline(always)
    public static func expNegativeMagnitude(_ x: Float) -> Float {
        expNonPositive(Float(bitPattern: x.bitPattern | 0x8000_0000))
    }

    /// The polynomial part of `exp` on clamped x: y = e^r with r = x − n·ln 2, and
    /// t = n + 1.5·2^23, whose low mantissa bits hold n.
    ///
    /// e^r on |r| ≤ ln 2 / 2 is a degree-6 polynomial with constant term 1, in Horner
    /// form: its coefficients are a Remez (minimax relative error) fit made for this
    /// library, 3.9e−9 before rounding; with Float rounding, exp is within 1.2 ulp of the
    /// exact value on [−87, 0] (checked on 2·10^7 points). Cephes' form of the same
    /// accuracy (r + r²·P₅(r) + 1) takes two more instructions; in a single-thread
    /// micro-benchmark of the Dice pass (not kept in the repo) Horner was about 5% faster.
    @inlinable @inline(always)
    static func expReduced(_ x: Float) -> (y: Float, t: Float) {
        // n = round(x / ln 2), obtained with the magic-number trick
        let t = mulAdd(x, 1.44269504088896341, roundingMagic)
        let n = t - roundingMagic
        // r = x − n ln 2 in two steps (Cody–Waite)
        var r = mulAdd(n, -0.693359375, x)
        r = mulAdd(n, 2.12194440e-4, r)
        var y: Float = 1.394858118146658e-3
        y = mulAdd(y, r, 8.381109684705734e-3)
        y = mulAdd(y, r, 4.1666239500045776e-2)
        y = mulAdd(y, r, 1.66663259267807e-1)
        y = mulAdd(y, r, 0.5)
        y = mulAdd(y, r, 1.0000001192092896)
        y = mulAdd(y, r, 1)
        return (y, t)
    }

    /// Natural logarithm for x > 0 (x is raised to the smallest normal Float; log(0)
    /// therefore gives −87.3 rather than −∞; NaN stays NaN; +∞ gives about 88.7).
    @inlinable @inline(always)
    public static func log(_ xIn: Float) -> Float {
        var x = xIn < Float.leastNormalMagnitude ? Float.leastNormalMagnitude : xIn
        x = x > Float.greatestFiniteMagnitude ? Float.greatestFiniteMagnitude : x
        let y = logNormal(x)
        return xIn != xIn ? xIn : y
    }

    /// log(1 + x) for x ∈ [0, 1] (the log1p(e^−|z|) of the sigmoid losses), without
    /// extracting an exponent: log1p(x) = x + x·(x·Q(x)), where Q ≈ (log1p(x)/x − 1)/x is a
    /// degree-8 polynomial. Its coefficients are a minimax fit of the relative error of
    /// log1p on [0, 1] made for this library (Lawson-weighted least squares, 4.7e−9 before
    /// rounding); with Float rounding the result is within 1.25 ulp of log1p with fused
    /// multiply-adds and 1.6 ulp without (checked on 7·10^6 points, `FastMathTests`).
    /// Adding x last keeps full precision for tiny x (log1p(x) = x there) and cuts the
    /// rounding error near x = 1. Ten multiply-adds against about thirty instructions
    /// for `log(1 + x)` with the cancellation correction: the focal and BCE loops are
    /// bound by their per-element instruction count.
    @inlinable @inline(always)
    public static func log1pUnit(_ x: Float) -> Float {
        var q: Float = -3.243881976e-03
        q = mulAdd(q, x, 1.985055208e-02)
        q = mulAdd(q, x, -5.695724860e-02)
        q = mulAdd(q, x, 1.060335487e-01)
        q = mulAdd(q, x, -1.530536562e-01)
        q = mulAdd(q, x, 1.967583746e-01)
        q = mulAdd(q, x, -2.495410740e-01)
        q = mulAdd(q, x, 3.332995772e-01)
        q = mulAdd(q, x, -4.999990165e-01)
        return mulAdd(x, q * x, x)
    }

    /// log x for a positive, normal, finite x or NaN (NaN stays NaN): `log` without its
    /// clamps to that range, for callers whose x never leaves it (a probability clamped to
    /// [1e−7, 1 − 1e−7], a softmax denominator in [1, C]). The probability paths take two
    /// logs per element; dropping the clamps made BCE, focal and unified focal from
    /// probabilities 1.14–1.18× faster (benchmarks/HISTORY.md).
    @inlinable @inline(always)
    public static func logOfNormal(_ x: Float) -> Float {
        let y = logNormal(x)
        return x != x ? x : y
    }

    /// Cephes log for positive, normal, finite x.
    @inlinable @inline(always)
    static func logNormal(_ x: Float) -> Float {
        let bits = Int32(bitPattern: x.bitPattern)
        // exponent e and mantissa m in [0.5, 1)
        var e = Float((bits &>> 23) &- 126)
        var m = Float(bitPattern: UInt32(bitPattern: (bits & 0x007F_FFFF) | 0x3F00_0000))
        let small = m < 0.707106781186547524
        e = small ? e - 1 : e
        m = (m + (small ? m : 0)) - 1
        let z = m * m
        var y: Float = 7.0376836292e-2
        y = mulAdd(y, m, -1.1514610310e-1)
        y = mulAdd(y, m, 1.1676998740e-1)
        y = mulAdd(y, m, -1.2420140846e-1)
        y = mulAdd(y, m, 1.4249322787e-1)
        y = mulAdd(y, m, -1.6668057665e-1)
        y = mulAdd(y, m, 2.0000714765e-1)
        y = mulAdd(y, m, -2.4999993993e-1)
        y = mulAdd(y, m, 3.3333331174e-1)
        y = y * m * z
        y = mulAdd(e, -2.12194440e-4, y)
        y = mulAdd(z, -0.5, y)
        return mulAdd(e, 0.693359375, m + y)
    }

    /// a·b + c: fused with `SEMSEG_FMA`, else a multiply then an add (the same values as
    /// writing `a * b + c`; note c − a·b is written as mulAdd(a, −b, c), which is exact
    /// to the same rounding).
    @inlinable @inline(always)
    static func mulAdd(_ a: Float, _ b: Float, _ c: Float) -> Float {
        #if SEMSEG_FMA
        c.addingProduct(a, b)
        #else
        a * b + c
        #endif
    }

    // MARK: 8-lane entry points (kept for callers of the earlier SIMD API)

    /// `exp` lane by lane.
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = x
        for k in 0..<8 { r[k] = exp(x[k]) }
        return r
    }

    /// `log` lane by lane.
    public static func log(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = x
        for k in 0..<8 { r[k] = log(x[k]) }
        return r
    }
}
