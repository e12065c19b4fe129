#if canImport(Glibc)
import Glibc
#endif

// MARK: - Voxel kernels

/// Branch-free per-voxel loops (LLVM vectorises them: no calls on the hot path of the
/// squared-error and linear terms, whose sigmoid uses `expNonPositive`).
enum VoxelKernels {
    /// e^x for x ≤ 0 (and x > 0 small; the callers pass −|z|), without calls or branches:
    /// Cody–Waite reduction x = n·ln 2 + r,
    /// |r| ≤ ln 2 / 2, a degree-13 Taylor polynomial for e^r (truncation < 1e−17), and 2ⁿ
    /// built in the exponent bits. Relative error a few ulp; 0 below −708 (where e^x is
    /// subnormal, < 3.3e−308).
    @inline(__always)
    static func expNonPositive(_ x: Double) -> Double {
        let xc = x < -708 ? -708.0 : x
        // n = round(x / ln 2) with the 1.5·2⁵² trick: the sum's low mantissa bits hold n
        // (no Double → Int conversion, which would need a range check and block vectorisation).
        let shifted = xc * 1.4426950408889634 + 6755399441055744.0
        let n = shifted - 6755399441055744.0
        let r = (xc - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10
        var p = 1.0 / 6227020800
        p = p * r + 1.0 / 479001600
        p = p * r + 1.0 / 39916800
        p = p * r + 1.0 / 3628800
        p = p * r + 1.0 / 362880
        p = p * r + 1.0 / 40320
        p = p * r + 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let scale = Double(bitPattern: (shifted.bitPattern &+ 1023) &<< 52)  // 2ⁿ, −1022 ≤ n ≤ 0
        return x < -708 ? 0 : p * scale
    }

    /// Writes ℓ (0 where invalid) into `losses` and ∂ℓ/∂x·scale (0 where invalid) into
    /// `gradient`, for `count` voxels.
    @inline(__always)
    static func run<S: SegScalar>(
        _ term: DistanceTerm, x: UnsafePointer<S>, g: UnsafePointer<S>, w: UnsafePointer<Double>,
        valid: UnsafePointer<UInt8>, count: Int, fromLogits: Bool, scale: Double,
        gradient: UnsafeMutablePointer<S>?, losses: UnsafeMutablePointer<Double>
    ) {
        switch (term, fromLogits) {
        case (.squaredError, true):
            loop(x, g, w, valid, count, scale, gradient, losses) { z, t, f in
                let e = expNonPositive(-Swift.abs(z))
                let inv = 1 / (1 + e)
                let p = z >= 0 ? inv : e * inv
                let r = p - t
                return (r * r * f, 2 * r * f * (e * inv * inv))
            }
        case (.squaredError, false):
            loop(x, g, w, valid, count, scale, gradient, losses) { p, t, f in
                let r = p - t
                return (r * r * f, 2 * r * f)
            }
        case (.linear, true):
            loop(x, g, w, valid, count, scale, gradient, losses) { z, _, f in
                let e = expNonPositive(-Swift.abs(z))
                let inv = 1 / (1 + e)
                let p = z >= 0 ? inv : e * inv
                return (p * f, f * (e * inv * inv))
            }
        case (.linear, false):
            loop(x, g, w, valid, count, scale, gradient, losses) { p, _, f in (p * f, f) }
        case (.crossEntropy, true):
            // In the input's precision: the stable sigmoid and its logs (`Sigmoid`), which
            // vectorise for Float (the Double libm exp and log1p calls kept the loop scalar).
            loopInPrecision(x, g, w, valid, count, scale, gradient, losses) { (z: S, t: S, f: S) -> (S, S) in
                let s = Sigmoid(logits: z)
                let (logP, logQ) = s.logs(z)
                return (-f * (t * logP + (1 - t) * logQ), f * (s.p - t))
            }
        case (.crossEntropy, false):
            loop(x, g, w, valid, count, scale, gradient, losses) { x, t, f in
                DistanceLossEvaluator.evaluateTerm(.crossEntropy, x, t, f, fromLogits)
            }
        }
    }

    /// `loop` with the term evaluated in S (the weight converted to S); ℓ stored in Double.
    @inline(__always)
    static func loopInPrecision<S: SegScalar>(
        _ x: UnsafePointer<S>, _ g: UnsafePointer<S>, _ w: UnsafePointer<Double>, _ valid: UnsafePointer<UInt8>,
        _ count: Int, _ scale: Double, _ gradient: UnsafeMutablePointer<S>?, _ losses: UnsafeMutablePointer<Double>,
        _ body: (S, S, S) -> (S, S)
    ) {
        let sc = S(scale)
        if let gradient {
            for k in 0..<count {
                let (l, d) = body(x[k], g[k], S(w[k]))
                let ok = valid[k] != 0
                losses[k] = ok ? Double(l) : 0
                gradient[k] = ok ? d * sc : 0
            }
        } else {
            for k in 0..<count {
                let (l, _) = body(x[k], g[k], S(w[k]))
                losses[k] = valid[k] != 0 ? Double(l) : 0
            }
        }
    }

    @inline(__always)
    static func loop<S: SegScalar>(
        _ x: UnsafePointer<S>, _ g: UnsafePointer<S>, _ w: UnsafePointer<Double>, _ valid: UnsafePointer<UInt8>,
        _ count: Int, _ scale: Double, _ gradient: UnsafeMutablePointer<S>?, _ losses: UnsafeMutablePointer<Double>,
        _ body: (Double, Double, Double) -> (Double, Double)
    ) {
        if let gradient {
            for k in 0..<count {
                let (l, d) = body(Double(x[k]), Double(g[k]), w[k])
                let ok = valid[k] != 0
                losses[k] = ok ? l : 0
                gradient[k] = S(ok ? d * scale : 0)
            }
        } else {
            for k in 0..<count {
                let (l, _) = body(Double(x[k]), Double(g[k]), w[k])
                losses[k] = valid[k] != 0 ? l : 0
            }
        }
    }

    /// Σ losses[0..<count] in a fixed order (8 running partial sums, then their sum).
    static func sum(_ losses: UnsafePointer<Double>, _ count: Int) -> Double {
        var acc = SIMD8<Double>(repeating: 0)
        var k = 0
        while k + 8 <= count {
            acc += UnsafeRawPointer(losses + k).loadUnaligned(as: SIMD8<Double>.self)
            k += 8
        }
        var total = acc.sum()
        while k < count {
            total += losses[k]
            k += 1
        }
        return total
    }
}
