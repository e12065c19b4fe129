import RealModule

// MARK: - Separable 'valid' window filtering (SSIM)

/// A normalised separable window applied along every spatial axis of one (image, channel)
/// plane without padding ('valid': an axis of length n gives n − w + 1 outputs, as
/// MONAI's `compute_ssim_and_cs`, which convolves without padding), and its adjoint (the
/// transpose, which scatters back to the full size), used for the SSIM gradient.
///
/// out[i] = Σ_k w_k in[i + k] along each axis in turn (w symmetric, so correlation and
/// convolution agree). Each output line sums its taps' input lines eight and then four at
/// a time in contiguous, vectorised loops (`combine`).
struct SeparableWindow<S: SegScalar>: Sendable {
    /// The 1-D taps, summing to 1.
    let taps: [S]
    /// The plane's spatial dims, left-padded with 1 to three axes.
    let dims: [Int]
    /// The filtered ('valid') dims.
    let validDims: [Int]

    /// MONAI's Gaussian: exp(−d²/(2σ²)) at d = −(w−1)/2 … (w−1)/2, normalised.
    static func gaussian(size: Int, sigma: Double) -> [S] {
        let half = Double(size - 1) / 2
        let raw = (0..<size).map { k -> Double in
            let d = (Double(k) - half) / sigma
            return Double.sexp(-0.5 * d * d)
        }
        let total = raw.reduce(0, +)
        return raw.map { S($0 / total) }
    }

    /// `spatial` are the plane's spatial dims; each must be ≥ the window size.
    init(taps: [S], spatial: ArraySlice<Int>) {
        self.taps = taps
        let padded = [Int](repeating: 1, count: 3 - spatial.count) + spatial
        dims = padded
        let filtered = Set((3 - spatial.count)..<3)
        validDims = padded.enumerated().map { filtered.contains($0.offset) ? $0.element - taps.count + 1 : $0.element }
        axes = Array(filtered).sorted()
    }

    /// The axes filtered (the real spatial axes).
    let axes: [Int]

    var count: Int { dims.reduce(1, *) }
    var validCount: Int { validDims.reduce(1, *) }

    /// Filters `src` (full dims) into `dst` (valid dims, row-major); `dst` and `work`
    /// each hold `count` scalars (intermediate passes are larger than the result).
    func apply(_ src: UnsafePointer<S>, into dst: UnsafeMutablePointer<S>, work: UnsafeMutablePointer<S>) {
        var shape = dims
        var from = src
        for (step, axis) in axes.enumerated() {
            // Ping-pong between `work` and `dst`, ending in `dst`.
            let to = (axes.count - 1 - step) % 2 == 0 ? dst : work
            var out = shape
            out[axis] = shape[axis] - taps.count + 1
            pass(from, shape, to, axis: axis)
            shape = out
            from = UnsafePointer(to)
        }
    }

    /// The adjoint: scatters `src` (valid dims) back to `dst` (full dims, overwritten);
    /// `dst` and `work` each hold `count` scalars.
    func adjoint(_ src: UnsafePointer<S>, into dst: UnsafeMutablePointer<S>, work: UnsafeMutablePointer<S>) {
        var shape = validDims
        var from = src
        for (step, axis) in axes.reversed().enumerated() {
            let to = (axes.count - 1 - step) % 2 == 0 ? dst : work
            var out = shape
            out[axis] = shape[axis] + taps.count - 1
            scatter(from, shape, to, out, axis: axis)
            shape = out
            from = UnsafePointer(to)
        }
    }

    // MARK: One axis

    /// Columns per block along an outer axis: one block of an output line (4 KB of
    /// Float) stays in L1 while its taps add into it.
    private static var block: Int { 1024 }

    /// out[o, i, r] = Σ_k w_k in[o, i + k, r], one output line at a time (`combine`).
    /// Along the last axis the line is out[o, ·] and tap k reads the input line shifted
    /// by k; along an outer axis the line is out[o, i, ·] (in blocks of `block` columns)
    /// and tap k reads the input line i + k. (Sweeping the whole output once per tap went
    /// through L2 for a 256×256 plane.)
    private func pass(_ src: UnsafePointer<S>, _ shape: [Int], _ dst: UnsafeMutablePointer<S>, axis: Int) {
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        let outLength = length - taps.count + 1
        taps.withUnsafeBufferPointer { w in
            let all = 0...(w.count - 1)
            for o in 0..<outer {
                let s = src + o * length * inner, d = dst + o * outLength * inner
                if inner == 1 {
                    Self.combine(d, outLength, w, all) { s + $0 }
                    continue
                }
                var r0 = 0
                while r0 < inner {
                    let n = min(Self.block, inner - r0)
                    for i in 0..<outLength {
                        let first = s + i * inner + r0
                        Self.combine(d + i * inner + r0, n, w, all) { first + $0 * inner }
                    }
                    r0 += n
                }
            }
        }
    }

    /// The adjoint of `pass` along one axis: out[o, i + k, r] += w_k in[o, i, r] (out
    /// overwritten), computed in gather form, out[o, q, r] = Σ_k w_k in[o, q − k, r] over
    /// the k with 0 ≤ q − k < length. Along the last axis the input line is first copied
    /// between w − 1 zeros on each side, so that every output takes all taps (the taps
    /// are symmetric, so this is `pass` on the padded line).
    private func scatter(
        _ src: UnsafePointer<S>, _ shape: [Int], _ dst: UnsafeMutablePointer<S>, _ outShape: [Int], axis: Int
    ) {
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        let outLength = outShape[axis], halo = taps.count - 1
        taps.withUnsafeBufferPointer { w in
            let all = 0...halo
            if inner == 1 {
                let padded = UnsafeMutablePointer<S>.allocate(capacity: length + 2 * halo)
                defer { padded.deallocate() }
                padded.initialize(repeating: 0, count: length + 2 * halo)
                for o in 0..<outer {
                    (padded + halo).update(from: src + o * length, count: length)
                    Self.combine(dst + o * outLength, outLength, w, all) { UnsafePointer(padded) + $0 }
                }
                return
            }
            for o in 0..<outer {
                let s = src + o * length * inner, d = dst + o * outLength * inner
                var r0 = 0
                while r0 < inner {
                    let n = min(Self.block, inner - r0)
                    for q in 0..<outLength {
                        let column = s + r0
                        Self.combine(d + q * inner + r0, n, w, max(0, q - length + 1)...min(halo, q)) {
                            column + (q - $0) * inner
                        }
                    }
                    r0 += n
                }
            }
        }
    }

    /// line[j] = Σ_(k ∈ taps) w_k·source(k)[j] for j < n. The first sweep writes the line
    /// from up to eight taps (`setScaled8`; four with `setScaled4` for windows of at most
    /// four taps), without loading it; each further sweep adds four taps (`addScaled4`).
    /// An 11-tap window then costs two sweeps, 13 loads and 2 stores per element, where
    /// zeroing the line and three sweeps of four took 15 loads and 4 stores (the loop is
    /// bound by loads). A last group short of taps is filled with zero weights on a tap
    /// already read (the sources are finite, so 0·x adds exactly 0).
    @inline(__always)
    private static func combine(
        _ line: UnsafeMutablePointer<S>, _ n: Int, _ w: UnsafeBufferPointer<S>, _ taps: ClosedRange<Int>,
        _ source: (Int) -> UnsafePointer<S>
    ) {
        let first = taps.lowerBound, last = taps.upperBound
        @inline(__always) func tap(_ j: Int) -> (UnsafePointer<S>, S) {
            j <= last ? (source(j), w[j]) : (source(first), 0)
        }
        var k = first
        if taps.count > 4 {
            let (a0, w0) = tap(k), (a1, w1) = tap(k + 1), (a2, w2) = tap(k + 2), (a3, w3) = tap(k + 3)
            let (a4, w4) = tap(k + 4), (a5, w5) = tap(k + 5), (a6, w6) = tap(k + 6), (a7, w7) = tap(k + 7)
            setScaled8(line, (a0, a1, a2, a3, a4, a5, a6, a7), (w0, w1, w2, w3, w4, w5, w6, w7), n)
            k += 8
        } else {
            let (a, w0) = tap(k), (b, w1) = tap(k + 1), (c, w2) = tap(k + 2), (e, w3) = tap(k + 3)
            setScaled4(line, a, b, c, e, w0, w1, w2, w3, n)
            k += 4
        }
        while k <= last {
            let (a, w0) = tap(k), (b, w1) = tap(k + 1), (c, w2) = tap(k + 2), (e, w3) = tap(k + 3)
            addScaled4(line, a, b, c, e, w0, w1, w2, w3, n)
            k += 4
        }
    }

    /// d[j] = w₀a₀[j] + … + w₇a₇[j] for j < n (multiply-adds in that order, from w₀a₀).
    /// Not inlined, so that the loop vectorises on its own with a run-time overlap check
    /// (inlined into the passes, a loop of this kind stayed scalar in one build).
    @inline(never)
    private static func setScaled8(
        _ d: UnsafeMutablePointer<S>,
        _ a: (UnsafePointer<S>, UnsafePointer<S>, UnsafePointer<S>, UnsafePointer<S>,
              UnsafePointer<S>, UnsafePointer<S>, UnsafePointer<S>, UnsafePointer<S>),
        _ w: (S, S, S, S, S, S, S, S), _ n: Int
    ) {
        for j in 0..<n {
            var t = w.0 * a.0[j]
            t = Relaxed.multiplyAdd(w.1, a.1[j], t)
            t = Relaxed.multiplyAdd(w.2, a.2[j], t)
            t = Relaxed.multiplyAdd(w.3, a.3[j], t)
            t = Relaxed.multiplyAdd(w.4, a.4[j], t)
            t = Relaxed.multiplyAdd(w.5, a.5[j], t)
            t = Relaxed.multiplyAdd(w.6, a.6[j], t)
            d[j] = Relaxed.multiplyAdd(w.7, a.7[j], t)
        }
    }

    /// d[j] = w₀a[j] + w₁b[j] + w₂c[j] + w₃e[j] for j < n (see `setScaled8`).
    @inline(never)
    private static func setScaled4(
        _ d: UnsafeMutablePointer<S>, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafePointer<S>,
        _ e: UnsafePointer<S>, _ w0: S, _ w1: S, _ w2: S, _ w3: S, _ n: Int
    ) {
        for j in 0..<n {
            var t = w0 * a[j]
            t = Relaxed.multiplyAdd(w1, b[j], t)
            t = Relaxed.multiplyAdd(w2, c[j], t)
            d[j] = Relaxed.multiplyAdd(w3, e[j], t)
        }
    }

    /// d[j] += w₀a[j] + w₁b[j] + w₂c[j] + w₃e[j] for j < n (multiply-adds in that order;
    /// see `setScaled8`).
    @inline(never)
    private static func addScaled4(
        _ d: UnsafeMutablePointer<S>, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafePointer<S>,
        _ e: UnsafePointer<S>, _ w0: S, _ w1: S, _ w2: S, _ w3: S, _ n: Int
    ) {
        for j in 0..<n {
            var t = Relaxed.multiplyAdd(w0, a[j], d[j])
            t = Relaxed.multiplyAdd(w1, b[j], t)
            t = Relaxed.multiplyAdd(w2, c[j], t)
            d[j] = Relaxed.multiplyAdd(w3, e[j], t)
        }
    }
}
