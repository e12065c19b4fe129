#if canImport(Glibc)
import Glibc
#endif
import RealModule

// MARK: - Double: C library math

/// Double keeps the C library's exp/log/log1p (full precision for finite-difference
/// checks); its loops stay scalar because of the calls, which is fine for a reference path.
extension Double: SegScalar {
    @inlinable @inline(always) public static func maybeOutsideUnit(_ x: Double) -> Int32 {
        ElementChecks.bit(x.bitPattern > 0x3FF0_0000_0000_0000)
    }
    @inlinable @inline(always) public static func unitBits(_ x: Double) -> UInt64 { x.bitPattern }
    @inlinable @inline(always) public static func sexp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable @inline(always) public static func slog(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable @inline(always) public static func slogNormal(_ x: Double) -> Double { Glibc.log(x) }
    @inlinable @inline(always) public static func expNegativeMagnitude(_ x: Double) -> Double { Glibc.exp(-Swift.abs(x)) }
    @inlinable @inline(always) public static func log1pUnit(_ x: Double) -> Double { Glibc.log1p(x) }

    public static var probabilityEpsilon: Double { 1e-7 }
    public static var dtypeName: String { "float64" }
}
