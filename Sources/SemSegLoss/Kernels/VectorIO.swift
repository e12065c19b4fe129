// MARK: - 8-lane loads and stores with tails

/// Loads and stores of `SIMD8` blocks from caller buffers, including the ragged last
/// block of a row (lanes past the end are filled with `fill` and flagged invalid).
@usableFromInline
enum VectorIO {
    /// Loads 8 elements starting at `p[i]`, or the `count − i` remaining ones padded with `fill`.
    @inlinable @inline(__always)
    static func load<S: SegScalar>(_ p: UnsafePointer<S>, _ i: Int, _ end: Int, fill: S) -> SIMD8<S> {
        if end - i >= 8 {
            return UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<S>.self)
        }
        var v = SIMD8<S>(repeating: fill)
        for k in 0..<(end - i) { v[k] = p[i + k] }
        return v
    }

    /// Stores the first `min(8, end − i)` lanes of `v` at `p[i]`.
    @inlinable @inline(__always)
    static func store<S: SegScalar>(_ v: SIMD8<S>, _ p: UnsafeMutablePointer<S>, _ i: Int, _ end: Int) {
        if end - i >= 8 {
            UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<S>.self)
            return
        }
        for k in 0..<(end - i) { p[i + k] = v[k] }
    }

    /// Mask of the lanes that lie inside the row (all true except in the last block).
    @inlinable @inline(__always)
    static func inside<S: SegScalar>(_ i: Int, _ end: Int, _: S.Type) -> SIMDMask<SIMD8<S>.MaskStorage> {
        let n = end - i
        if n >= 8 { return SIMDMask(repeating: true) }
        var m = SIMDMask<SIMD8<S>.MaskStorage>(repeating: false)
        for k in 0..<n { m[k] = true }
        return m
    }

    /// 1 where `mask` is set, else 0.
    @inlinable @inline(__always)
    static func indicator<S: SegScalar>(_ mask: SIMDMask<SIMD8<S>.MaskStorage>) -> SIMD8<S> {
        SIMD8<S>(repeating: 0).replacing(with: 1, where: mask)
    }

    /// Lane sum in Double.
    @inlinable @inline(__always)
    static func sum<S: SegScalar>(_ v: SIMD8<S>) -> Double {
        var s = 0.0
        for k in 0..<8 { s += Double(v[k]) }
        return s
    }
}

// MARK: - Activation pieces

/// Sigmoid of logits computed without overflow: with e = exp(−|z|),
/// σ(z) = 1/(1+e) for z ≥ 0 and e/(1+e) otherwise, and σ'(z) = σ(z)(1 − σ(z)) = e/(1+e)².
/// Also log σ(z) = −(max(−z, 0) + log1p(e)) and log(1 − σ(z)) = −(max(z, 0) + log1p(e)).
@usableFromInline
struct SigmoidParts<S: SegScalar> {
    @usableFromInline var p: SIMD8<S>
    @usableFromInline var oneMinusP: SIMD8<S>
    @usableFromInline var derivative: SIMD8<S>
    @usableFromInline var e: SIMD8<S>

    @inlinable @inline(__always)
    init(logits z: SIMD8<S>) {
        let negAbs = -abs(z)
        e = S.vexp(negAbs)
        let inv = 1 / (1 + e)
        let small = e * inv
        let nonNegative = z .>= 0
        p = small.replacing(with: inv, where: nonNegative)
        oneMinusP = inv.replacing(with: small, where: nonNegative)
        derivative = small * inv
    }

    /// log σ(z) and log(1 − σ(z)), both ≤ 0.
    @inlinable @inline(__always)
    func logs(_ z: SIMD8<S>) -> (logP: SIMD8<S>, logOneMinusP: SIMD8<S>) {
        let l1p = S.vlog1p(e)
        let zero = SIMD8<S>(repeating: 0)
        let logP = -(pointwiseMax(-z, zero) + l1p)
        let logQ = -(pointwiseMax(z, zero) + l1p)
        return (logP, logQ)
    }
}

@inlinable @inline(__always)
func abs<S: SegScalar>(_ v: SIMD8<S>) -> SIMD8<S> {
    v.replacing(with: -v, where: v .< 0)
}
