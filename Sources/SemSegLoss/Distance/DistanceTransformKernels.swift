// MARK: - Kernels of the separable exact EDT

/// The kernels of the separable exact Euclidean distance transform.
///
/// With `D²(x) = min_{y ∉ M} Σᵢ sᵢ²(xᵢ − yᵢ)²` (squared distance of voxel `x` to the nearest
/// voxel outside the mask `M`), the minimum separates over axes (Felzenszwalb & Huttenlocher,
/// "Distance Transforms of Sampled Functions", Theory of Computing 8, 2012, §2–3):
///
/// 1. along the first spatial axis, `f₁(x) = s²·k²`, `k` the distance in voxels to the nearest
///    unset voxel of the column (two linear scans; `+∞` when the column has none);
/// 2. along each further axis with spacing `s`, `f_{k+1}(q) = min_p [ s²(q − p)² + f_k(p) ]`,
///    the lower envelope of parabolas rooted at `(p, f_k(p))`.
///
/// Every kernel is exact in Double (for unit spacing all values are integers below 2⁵³).
/// Sites with `f = +∞` never attain a minimum; a line whose sites are all infinite stays
/// infinite. Kernels work on raw pointers with bounds established by their callers.
enum DistanceTransformKernels {
    /// Lines processed together along a strided axis (one cache line of Doubles per row).
    static let blockWidth = 8
    /// Largest window radius (in voxels) for which the windowed minimum
    /// (`DistanceWindowedMinimum.swift`) replaces the envelope.
    static let maxWindowRadius = 8
    /// "No unset voxel seen yet" in the column scans: loses every `min` against a real
    /// count and stays exact after adding the length of any column.
    static let farAway: Double = 0x1p50

    // MARK: Pass 1: column scans, vectorised across the plane

    /// For the columns `c ∈ columns` of one image laid out as `n` planes of `plane` voxels
    /// (plane `j` at byte `j·plane` of `mask`, one byte per voxel, non-zero = true — the
    /// layout of both `Bool` and `UInt8` masks), writes the distance along the column to the
    /// nearest voxel that is not set (set = `isTrue != invert`): `(k·s)²` when `squared`,
    /// else `k·s`; 0 on unset voxels, `+∞` if the column has none.
    ///
    /// Forward `k_j = set ? k_{j−1} + 1 : 0`, backward `k_j = min(k_j, k_{j+1} + 1)`; both
    /// run plane by plane over contiguous memory, vectorised across the columns.
    static func scanColumns(
        mask: UnsafeRawPointer, invert: Bool, planes n: Int, plane: Int, columns: Range<Int>,
        spacing s: Double, squared: Bool, out: UnsafeMutablePointer<Double>
    ) {
        let lo = columns.lowerBound, count = columns.count
        let keepIfTrue: Double = invert ? 0 : 1
        for j in 0..<n {
            forwardColumns(
                mask + (j &* plane &+ lo), out + (j &* plane &+ lo), previous: j == 0 ? nil : plane,
                count: count, keepIfTrue: keepIfTrue)
        }
        let scale = squared ? s * s : s
        for j in stride(from: n &- 2, through: 0, by: -1) {
            backwardColumns(out + (j &* plane &+ lo), next: plane, count: count, scale: scale, squared: squared)
        }
        finishColumns(out + lo, count: count, scale: scale, squared: squared)
    }

    // The row helpers below are small, branch-free loops (selects between loop-invariant
    // values, 0/1 factors, which are exact) that LLVM vectorises.

    /// `o[c] = set ? o[c − previous] + 1 : 0` (first plane: `set ? farAway : 0`), with
    /// `set ⇔ (byte ≠ 0) == (keepIfTrue == 1)`.
    @inline(never)
    static func forwardColumns(
        _ m: UnsafeRawPointer, _ o: UnsafeMutablePointer<Double>, previous: Int?, count: Int,
        keepIfTrue: Double
    ) {
        let keepIfFalse = 1 - keepIfTrue
        if let previous {
            let p = o - previous
            for c in 0..<count {
                o[c] = (p[c] + 1) * (m.load(fromByteOffset: c, as: UInt8.self) != 0 ? keepIfTrue : keepIfFalse)
            }
        } else {
            for c in 0..<count {
                o[c] = farAway * (m.load(fromByteOffset: c, as: UInt8.self) != 0 ? keepIfTrue : keepIfFalse)
            }
        }
    }

    /// `o[c] = min(o[c], q[c] + 1)` with `q = o + next`, then `q` (no longer needed as a
    /// count) is finished like `finishColumns`.
    @inline(never)
    static func backwardColumns(
        _ o: UnsafeMutablePointer<Double>, next: Int, count: Int, scale: Double, squared: Bool
    ) {
        let q = o + next
        let limit = farAway * 0.5
        if squared {
            for c in 0..<count {
                let a = o[c], k = q[c], b = k + 1
                o[c] = b < a ? b : a
                q[c] = k < limit ? k * k * scale : .infinity
            }
        } else {
            for c in 0..<count {
                let a = o[c], k = q[c], b = k + 1
                o[c] = b < a ? b : a
                q[c] = k < limit ? k * scale : .infinity
            }
        }
    }

    /// Turns voxel counts into `(k·s)²` (`squared`, `scale = s²`) or `k·s` (`scale = s`),
    /// and the "no unset voxel" sentinel into `+∞`.
    @inline(never)
    static func finishColumns(_ o: UnsafeMutablePointer<Double>, count: Int, scale: Double, squared: Bool) {
        let limit = farAway * 0.5
        if squared {
            for c in 0..<count {
                let k = o[c]
                o[c] = k < limit ? k * k * scale : .infinity
            }
        } else {
            for c in 0..<count {
                let k = o[c]
                o[c] = k < limit ? k * scale : .infinity
            }
        }
    }

    // MARK: Lower envelope of parabolas

    /// Stacks of `lowerEnvelope` for lines of length `n`: positions, values and heights
    /// `f + w·p²` of the parabolas (`n` each) and the `n + 1` boundaries between them.
    struct EnvelopeStacks {
        let positions, values, heights, bounds: UnsafeMutablePointer<Double>
        static func doubleCount(length n: Int) -> Int { 4 * n + 1 }
        init(_ base: UnsafeMutablePointer<Double>, length n: Int) {
            positions = base
            values = base + n
            heights = base + 2 * n
            bounds = base + 3 * n
        }
    }

    /// `out[q·step] = min_p [ w·(q − p)² + f[p·step] ]` for `q ∈ 0..<n` (Felzenszwalb &
    /// Huttenlocher 2012, Algorithm "DT(f)"), in O(n); `step` is 1 for a contiguous line and
    /// `blockWidth` for one lane of a row-major block.
    ///
    /// The envelope keeps parabolas `0...k` (position `p`, value `f[p]`, height `f[p] + w p²`)
    /// and the abscissas `z[i]` where parabola `i` starts to be lowest. A new parabola `q`
    /// meets the top one at `s = ((f[q] + w q²) − (f[p] + w p²)) / (2w(q − p))`; while
    /// `s ≤ z[k]` the top one is hidden and dropped. `+∞` sites are skipped; `k` never drops
    /// below 0, so memory stays in bounds whatever the values.
    ///
    /// The pop test is evaluated multiplied out, which can differ from the divided form only
    /// by rounding when two parabolas meet exactly at a boundary; either choice gives the
    /// same minimum there.
    @inline(never)
    static func lowerEnvelope(
        f: UnsafePointer<Double>, count n: Int, step: Int, weight w: Double,
        out: UnsafeMutablePointer<Double>, stacks: EnvelopeStacks
    ) {
        let vp = stacks.positions, vf = stacks.values, vh = stacks.heights, z = stacks.bounds
        var q = 0
        while q < n && f[q &* step] == .infinity { q &+= 1 }
        if q == n {
            for i in 0..<n { out[i &* step] = .infinity }
            return
        }
        let twoW = 2 * w
        var dq = Double(q)
        vp[0] = dq
        vf[0] = f[q &* step]
        vh[0] = vf[0] + w * dq * dq
        z[0] = -.infinity
        z[1] = .infinity
        var k = 0
        q &+= 1
        while q < n {
            let fq = f[q &* step]
            if fq != .infinity {
                dq = Double(q)
                let hq = fq + w * dq * dq
                // s ≤ z[k] ⇔ hq − h[k] ≤ z[k]·2w(q − p[k]) (positive denominator): pops
                // need no division, only the surviving intersection is divided out.
                while k > 0 && hq - vh[k] <= z[k] * (twoW * (dq - vp[k])) { k &-= 1 }
                let s = (hq - vh[k]) / (twoW * (dq - vp[k]))
                k &+= 1
                vp[k] = dq
                vf[k] = fq
                vh[k] = hq
                z[k] = s
                z[k &+ 1] = .infinity
            }
            q &+= 1
        }
        k = 0
        for i in 0..<n {
            let di = Double(i)
            while z[k &+ 1] < di { k &+= 1 }
            let d = di - vp[k]
            out[i &* step] = w * d * d + vf[k]
        }
    }
}
