import RealModule

// MARK: - Float: loop-vectorisable math

extension Float: SegScalar {
    @inlinable @inline(always) public static func maybeOutsideUnit(_ x: Float) -> Int32 {
        ElementChecks.bit(x.bitPattern > 0x3F80_0000)
    }
    @inlinable @inline(always) public static func unitBits(_ x: Float) -> UInt32 { x.bitPattern }
    @inlinable @inline(always) public static func sexp(_ x: Float) -> Float { FastMath.exp(x) }
    @inlinable @inline(always) public static func slog(_ x: Float) -> Float { FastMath.log(x) }
    @inlinable @inline(always) public static func slogNormal(_ x: Float) -> Float {
        FastMath.logOfNormal(x)
    }
    @inlinable @inline(always) public static func expNegativeMagnitude(_ x: Float) -> Float {
        FastMath.expNegativeMagnitude(x)
    }
    @inlinable @inline(always) public static func log1pUnit(_ x: Float) -> Float {
        FastMath.log1pUnit(x)
    }

    /// log(1 + x) for x >= 0, 8 lanes (kept for callers of the earlier `SIMD8` API).
    public static func vlog1p(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = x
        for k in 0..<8 {
            let u = x[k] + 1
            r[k] = FastMath.log(u) - ((u - 1) - x[k]) / u
        }
        return r
    }

    public static var probabilityEpsilon: Float { 1e-7 }
    public static var dtypeName: String { "float32" }
}
