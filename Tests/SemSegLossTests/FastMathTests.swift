import Foundation
import Testing
@testable import SemSegLoss

/// The vectorised Float exp/log against glibc.
@Suite("FastMath")
struct FastMathTests {
    static func ulpError(_ a: Float, _ b: Float) -> Float {
        abs(a - b) / b.ulp
    }

    @Test("exp is within 2 ulp of glibc on [-87, 88]")
    func expAccuracy() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = FastMath.exp(SIMD8(repeating: x))[0]
            worst = max(worst, Self.ulpError(v, Foundation.exp(x)))
            x += 0.0137
        }
        #expect(worst <= 2, "worst ulp error \(worst)")
    }

    @Test("log is within 2 ulp of glibc on (1e-30, 1e30)")
    func logAccuracy() {
        var worst: Float = 0
        var x: Float = 1e-30
        while x < 1e30 {
            let v = FastMath.log(SIMD8(repeating: x))[0]
            let ref = Foundation.log(x)
            worst = max(worst, abs(ref) < 1e-3 ? abs(v - ref) / Float.ulpOfOne : Self.ulpError(v, ref))
            x *= 1.0173
        }
        #expect(worst <= 2, "worst ulp error \(worst)")
    }

    @Test("special values: NaN propagates, clamping at the ends")
    func specials() {
        #expect(FastMath.exp(SIMD8(repeating: .nan))[0].isNaN)
        #expect(FastMath.log(SIMD8(repeating: .nan))[0].isNaN)
        #expect(FastMath.exp(SIMD8(repeating: -1000))[0] >= 0)
        #expect(FastMath.exp(SIMD8(repeating: -1000))[0] < 1e-37)
        #expect(FastMath.exp(SIMD8(repeating: 0))[0] == 1)
        #expect(FastMath.log(SIMD8(repeating: 1))[0] == 0)
        #expect(FastMath.log(SIMD8(repeating: 0))[0] < -80)
    }

    @Test("log1pUnit is within 1.6 ulp of log1p on [0, 1], exact at 0 and for tiny x")
    func log1pUnitAccuracy() {
        var worst: Float = 0
        // A uniform grid plus a log-spaced sweep down to the smallest e^(−|z|) (1.2e−38).
        var points = (0...200_000).map { Float($0) / 200_000 }
        var t: Float = 1
        while t > 1.2e-38 { points.append(t); t *= 0.9871 }
        for x in points {
            let exact = Foundation.log1p(Double(x))
            let v = Float.log1pUnit(x)
            let ulp = Float(exact).ulp
            worst = max(worst, Float(abs(Double(v) - exact) / Double(ulp)))
        }
        #expect(worst <= 1.6, "worst ulp error \(worst)")
        #expect(Float.log1pUnit(0) == 0)
        #expect(Float.log1pUnit(1e-30) == 1e-30)
        #expect(abs(Float.log1pUnit(1) - Float(M_LN2)) <= Float(M_LN2).ulp)
        #expect(Float.log1pUnit(.nan).isNaN)
    }

    @Test("the log of a normal x equals log on [1e-7, 1] and [1, 64], and keeps NaN")
    func logOfNormal() {
        var x: Float = 1e-7
        var count = 0
        while x <= 1 {
            #expect(Float.slogNormal(x) == Float.slog(x), "x = \(x)")
            x = x.nextUp * 1.0007
            count += 1
        }
        #expect(count > 20_000)
        for k in 1...64 {  // softmax denominators
            let y = Float(k) + 0.37
            #expect(Float.slogNormal(y) == Float.slog(y), "x = \(y)")
        }
        #expect(Float.slogNormal(1) == 0)
        #expect(Float.slogNormal(1 - 1e-7) == Float.slog(1 - 1e-7))
        #expect(Float.slogNormal(.nan).isNaN)
        #expect(Double.slogNormal(0.25) == Foundation.log(0.25))
        #expect(Double.slogNormal(.nan).isNaN)
    }

    @Test("log1p keeps precision for tiny arguments")
    func log1p() {
        let v = Float.vlog1p(SIMD8(repeating: 1e-10))[0]
        #expect(abs(v - 1e-10) < 1e-16)
    }
}
