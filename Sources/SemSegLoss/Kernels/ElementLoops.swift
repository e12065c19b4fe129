// MARK: - How the kernels are written

/// Every kernel is a plain per-element loop over raw buffers, written once generically
/// over `S: SegScalar`, with no calls and no control flow in the loop body (selects only),
/// so that LLVM's loop vectoriser widens it to full vectors for Float. LLVM keeps the
/// order of plain floating-point additions, so a sum in the loop would stay scalar: loops
/// that only need Σ of a block accumulate with swift-numerics' `Relaxed.sum` /
/// `Relaxed.multiplyAdd`, which allow reassociation into vector lanes (the lane layout is
/// fixed by the compiled code, so results do not depend on threads); loops that also need
/// the per-element terms later write them to a small scratch buffer, which `BlockSums`
/// adds with `SIMD16` lanes; counts (valid voxels, bad values) are integer sums, which the
/// vectoriser handles. Options are `On`/`Off` type parameters, so every combination is its
/// own specialisation without dead branches.
@usableFromInline
enum Blocks {
    /// Elements per block: scratch buffers of a block (4 KB each for Float) stay in L1,
    /// and Float sums are folded into Double once per block.
    @usableFromInline static let size = 1024
}

// MARK: - Compile-time options

/// A `Bool` known at compile time: kernels take their options as `On`/`Off` type
/// parameters, so that every combination is a separate generic specialisation with the
/// dead branches removed (and a loop body the vectoriser accepts).
@usableFromInline protocol StaticFlag { static var isOn: Bool { get } }
@usableFromInline enum On: StaticFlag { @inlinable static var isOn: Bool { true } }
@usableFromInline enum Off: StaticFlag { @inlinable static var isOn: Bool { false } }

// MARK: - Lane sums of a block

@usableFromInline
enum BlockSums {
    /// Σ a_i over `count` elements: 2 × 16 lanes (two chains hide the add latency), then a
    /// lane sum, returned in Double.
    @inline(never)
    static func sum<S: SegScalar>(_ a: UnsafePointer<S>, _ count: Int) -> Double {
        var s0 = SIMD16<S>(), s1 = SIMD16<S>()
        var j = 0
        while j + 32 <= count {
            s0 += load(a, j)
            s1 += load(a, j &+ 16)
            j &+= 32
        }
        var s = (s0 + s1).sum()
        while j < count { s += a[j]; j &+= 1 }
        return Double(s)
    }

    /// Σ p·g, Σ p (or Σ p²) and Σ g (or Σ g²) over `count` elements, in 16 lanes then a
    /// lane sum (fixed order), returned in Double: the region statistics of a block.
    @inline(never)
    static func region<S: SegScalar>(
        _ p: UnsafePointer<S>, _ g: UnsafePointer<S>, _ count: Int, squared: Bool
    ) -> (intersection: Double, prediction: Double, target: Double) {
        var tp = SIMD16<S>(), ps = SIMD16<S>(), gs = SIMD16<S>()
        var j = 0
        while j + 16 <= count {
            let pv = load(p, j), gv = load(g, j)
            tp += pv * gv
            ps += squared ? pv * pv : pv
            gs += squared ? gv * gv : gv
            j &+= 16
        }
        var t = tp.sum(), q = ps.sum(), r = gs.sum()
        while j < count {
            let pv = p[j], gv = g[j]
            t += pv * gv
            q += squared ? pv * pv : pv
            r += squared ? gv * gv : gv
            j &+= 1
        }
        return (Double(t), Double(q), Double(r))
    }

    @inline(__always)
    static func load<S: SegScalar>(_ p: UnsafePointer<S>, _ j: Int) -> SIMD16<S> {
        UnsafeRawPointer(p + j).loadUnaligned(as: SIMD16<S>.self)
    }
}

// MARK: - Activation pieces

/// Sigmoid of logits computed without overflow: with e = exp(−|z|),
/// σ(z) = 1/(1+e) for z ≥ 0 and e/(1+e) otherwise, and σ'(z) = σ(z)(1 − σ(z)) = e/(1+e)².
/// Also log σ(z) = −(max(−z, 0) + log1p(e)) and log(1 − σ(z)) = −(max(z, 0) + log1p(e)).
@usableFromInline
struct Sigmoid<S: SegScalar> {
    @usableFromInline var p: S
    @usableFromInline var oneMinusP: S
    @usableFromInline var derivative: S
    /// e = exp(−|z|) and 1/(1 + e)
    @usableFromInline var e: S
    @usableFromInline var inverse: S

    @inlinable @inline(always)
    init(logits z: S) {
        e = S.expNegativeMagnitude(z)
        inverse = 1 / (1 + e)
        let small = e * inverse
        let nonNegative = z >= 0
        p = nonNegative ? inverse : small
        oneMinusP = nonNegative ? small : inverse
        derivative = small * inverse
    }

    /// log σ(z) and log(1 − σ(z)), both ≤ 0.
    @inlinable @inline(always)
    func logs(_ z: S) -> (logP: S, logOneMinusP: S) {
        let l1p = S.log1pUnit(e)
        return (-(S.positivePart(-z) + l1p), -(S.positivePart(z) + l1p))
    }
}

/// Validation tests of one element, as 0/1 counts (integer sums vectorise).
///
/// Written without `&&` and without `c ? 1 : 0`: both lower to branches in SIL, and a
/// branch that LLVM fails to flatten keeps the whole loop scalar (measured 8x slower).
@usableFromInline
enum ElementChecks {
    /// 0 or 1, without a branch.
    @inlinable @inline(always)
    static func bit(_ b: Bool) -> Int32 { Int32(unsafeBitCast(b, to: UInt8.self)) }

    /// 1 if an input is NaN/±∞ (logits) or outside [0, 1] (probabilities).
    @inlinable @inline(always)
    static func badInput<S: SegScalar>(_ x: S, logits: Bool) -> Int32 {
        logits ? 1 &- bit(x - x == 0) : 1 &- (bit(x >= 0) & bit(x <= 1))
    }

    /// 1 if a (non-ignored) target lies outside [0, 1] or is NaN.
    @inlinable @inline(always)
    static func badTarget<S: SegScalar>(_ g: S) -> Int32 {
        1 &- (bit(g >= 0) & bit(g <= 1))
    }

    /// a ∧ b without short-circuit evaluation.
    @inlinable @inline(always)
    static func both(_ a: Bool, _ b: Bool) -> Bool {
        unsafeBitCast(unsafeBitCast(a, to: UInt8.self) & unsafeBitCast(b, to: UInt8.self), to: Bool.self)
    }

    /// a ∨ b without short-circuit evaluation.
    @inlinable @inline(always)
    static func either(_ a: Bool, _ b: Bool) -> Bool {
        unsafeBitCast(unsafeBitCast(a, to: UInt8.self) | unsafeBitCast(b, to: UInt8.self), to: Bool.self)
    }
}
