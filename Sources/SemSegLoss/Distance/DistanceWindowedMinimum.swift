// MARK: - Windowed minimum: the envelope pass for short distances

/// Direct evaluation of an envelope pass over a bounded window, vectorised 8 lanes wide.
///
/// The envelope pass computes `out[q] = min_p [ w·(q − p)² + f[p] ]`. Its minimiser `p`
/// always satisfies `w(q − p)² ≤ f[q] ≤ max f` (the candidate `p = q` costs `f[q]`), so the
/// minimum over the window `|q − p| ≤ R` with `R ≥ √(max f / w)` is the same exact value.
/// Callers use `R = ⌊√(max f / w)⌋ + 1` (the `+ 1` absorbs rounding of the bound) when it
/// is at most `maxWindowRadius + 1`, or the whole line for short lines (exact for any `f`,
/// `+∞` included). Cost O((2R + 1)·n) without data-dependent branches: much faster than the
/// envelope on dense, fragmented masks, whose envelope branches are unpredictable.
extension DistanceTransformKernels {
    /// `out[q] = min_{|d| ≤ radius} [ w·d² + f[q + d] ]` on `n` rows of 8 lanes (row-major,
    /// `f` and `out` both `n·8` Doubles): 8 lines at once, no data-dependent branches.
    ///
    /// Equals the lower envelope when `radius ≥ √(max f / w)`: the minimiser `p` of any `q`
    /// satisfies `w(q − p)² ≤ f[q] ≤ max f` (the candidate `p = q` costs `f[q]`). Callers
    /// use `⌊√(max f / w)⌋ + 1` (the `+ 1` absorbs rounding). Faster than the envelope on
    /// dense, fragmented masks, where the envelope's branches are unpredictable.
    static func windowedMinimum(
        rows f: UnsafePointer<Double>, count n: Int, weight w: Double, radius: Int,
        out: UnsafeMutablePointer<Double>
    ) {
        @inline(__always) func row(_ j: Int) -> SIMD8<Double> {
            UnsafeRawPointer(f + j &* 8).loadUnaligned(as: SIMD8<Double>.self)
        }
        for q in 0..<n {
            var best = row(q)
            var d = 1
            while d <= radius {
                let offset = w * Double(d &* d)
                if q >= d {
                    let v = row(q &- d) + offset
                    best = best.replacing(with: v, where: v .< best)
                }
                if q &+ d < n {
                    let v = row(q &+ d) + offset
                    best = best.replacing(with: v, where: v .< best)
                }
                d &+= 1
            }
            UnsafeMutableRawPointer(out + q &* 8).storeBytes(of: best, as: SIMD8<Double>.self)
        }
    }

    /// The same minimum along one contiguous line, 8 consecutive outputs at a time:
    /// `f` must be readable on `[−radius, n + radius + 8)` with `+∞` outside `[0, n)`, and
    /// `out` writable on `[0, n + 8)`.
    static func windowedLine(
        padded f: UnsafePointer<Double>, count n: Int, weight w: Double, radius: Int,
        out: UnsafeMutablePointer<Double>
    ) {
        @inline(__always) func at(_ j: Int) -> SIMD8<Double> {
            UnsafeRawPointer(f + j).loadUnaligned(as: SIMD8<Double>.self)
        }
        for q in stride(from: 0, to: n, by: 8) {
            var best = at(q)
            var d = 1
            while d <= radius {
                let offset = w * Double(d &* d)
                let a = at(q &- d) + offset, b = at(q &+ d) + offset
                best = best.replacing(with: a, where: a .< best)
                best = best.replacing(with: b, where: b .< best)
                d &+= 1
            }
            UnsafeMutableRawPointer(out + q).storeBytes(of: best, as: SIMD8<Double>.self)
        }
    }

    /// Lane-wise square root of non-negative values. Written per lane with `abs` (a no-op
    /// here) so that LLVM knows no lane is negative, drops the errno path of `sqrt` and emits
    /// `sqrtpd`; `SIMD8.squareRoot()` would call `sqrt` eight times.
    @inline(__always)
    static func squareRoot(_ v: SIMD8<Double>) -> SIMD8<Double> {
        var r = v
        for c in 0..<8 { r[c] = Swift.abs(v[c]).squareRoot() }
        return r
    }
}
