// MARK: - Vectorised exp and log for Float

/// Branch-free `exp` and `log` on `SIMD8<Float>` that compile to plain SSE2 vector code
/// (no libm calls, no `floor`), so the loss kernels run 8 lanes at a time.
///
/// Both follow the classic Cephes single-precision algorithms (S. L. Moshier):
/// range reduction by ln 2 and a degree-5 (exp) / degree-8 (log) minimax polynomial,
/// accurate to about 1 ulp on the ranges the losses use. Tested against glibc in
/// `FastMathTests`.
public enum FastMath {
    /// 1.5 · 2^23: adding it rounds a Float in (−2^22, 2^22) to the nearest integer.
    @usableFromInline static let roundingMagic: Float = 12_582_912

    /// e^x, lane-wise. Inputs are clamped to [−87.3, 88.7]: e^x underflows to about
    /// 1.2e−38 instead of 0 and overflows to about 3.4e38 instead of ∞ (NaN stays NaN).
    @inlinable @inline(__always)
    public static func exp(_ xIn: SIMD8<Float>) -> SIMD8<Float> {
        var x = xIn.clamped(lowerBound: SIMD8(repeating: -87.3), upperBound: SIMD8(repeating: 88.7))
        x = x.replacing(with: xIn, where: xIn .!= xIn)  // keep NaN
        // n = round(x / ln 2), obtained with the magic-number trick
        let t = x * 1.44269504088896341 + roundingMagic
        let n = t - roundingMagic
        let nBits = asInt(t) &- Int32(bitPattern: roundingMagic.bitPattern)
        // r = x − n ln 2 in two steps (Cody–Waite)
        var r = x - n * 0.693359375
        r = r - n * -2.12194440e-4
        let r2 = r * r
        var y: SIMD8<Float> = SIMD8(repeating: 1.9875691500e-4)
        y = y * r + 1.3981999507e-3
        y = y * r + 8.3334519073e-3
        y = y * r + 4.1665795894e-2
        y = y * r + 1.6666665459e-1
        y = y * r + 5.0000001201e-1
        y = y * r2 + r + 1
        // 2^n: n can be −126 ... 128; split in two factors to stay in the normal range.
        let half = nBits &>> 1
        let s1 = asFloat((half &+ 127) &<< 23)
        let s2 = asFloat((nBits &- half &+ 127) &<< 23)
        return y * s1 * s2
    }

    /// Natural logarithm, lane-wise, for x > 0 (x is raised to the smallest normal Float;
    /// log(0) therefore gives −87.3 rather than −∞; NaN stays NaN; +∞ gives about 88.7).
    @inlinable @inline(__always)
    public static func log(_ xIn: SIMD8<Float>) -> SIMD8<Float> {
        let x0 = xIn.replacing(with: Float.leastNormalMagnitude, where: xIn .< Float.leastNormalMagnitude)
        let x1 = x0.replacing(with: Float.greatestFiniteMagnitude, where: x0 .> Float.greatestFiniteMagnitude)
        let bits = asInt(x1)
        // exponent e and mantissa m in [0.5, 1)
        var e = SIMD8<Float>((bits &>> 23) &- 126)
        var m = asFloat((bits & 0x007F_FFFF) | 0x3F00_0000)
        let small = m .< SIMD8<Float>(repeating: 0.707106781186547524)
        e = e.replacing(with: e - 1, where: small)
        m = (m + m.replacing(with: 0, where: .!small)) - 1
        let z = m * m
        var y: SIMD8<Float> = SIMD8(repeating: 7.0376836292e-2)
        y = y * m - 1.1514610310e-1
        y = y * m + 1.1676998740e-1
        y = y * m - 1.2420140846e-1
        y = y * m + 1.4249322787e-1
        y = y * m - 1.6668057665e-1
        y = y * m + 2.0000714765e-1
        y = y * m - 2.4999993993e-1
        y = y * m + 3.3333331174e-1
        y = y * m * z
        y = y + e * -2.12194440e-4
        y = y - z * 0.5
        let result = m + y + e * 0.693359375
        return result.replacing(with: xIn, where: xIn .!= xIn)
    }

    // MARK: Bit casts between same-size vectors

    @inlinable @inline(__always)
    static func asInt(_ v: SIMD8<Float>) -> SIMD8<Int32> { unsafeBitCast(v, to: SIMD8<Int32>.self) }

    @inlinable @inline(__always)
    static func asFloat(_ v: SIMD8<Int32>) -> SIMD8<Float> { unsafeBitCast(v, to: SIMD8<Float>.self) }
}
