// MARK: - Separable 'valid' window filtering (SSIM)

/// A normalised separable window applied along every spatial axis of one (image, channel)
/// plane without padding ('valid': an axis of length n gives n − w + 1 outputs, as
/// MONAI's `compute_ssim_and_cs`, which convolves without padding), and its adjoint (the
/// transpose, which scatters back to the full size), used for the SSIM gradient.
///
/// out[i] = Σ_k w_k in[i + k] along each axis in turn (w symmetric, so correlation and
/// convolution agree). Loops run with the tap outer and the voxels inner, so the
/// innermost loop is a contiguous axpy that the vectoriser widens.
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

    /// out[o, i, r] = Σ_k w_k in[o, i + k, r].
    private func pass(_ src: UnsafePointer<S>, _ shape: [Int], _ dst: UnsafeMutablePointer<S>, axis: Int) {
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        let outLength = length - taps.count + 1
        dst.update(repeating: 0, count: outer * outLength * inner)
        taps.withUnsafeBufferPointer { w in
            for o in 0..<outer {
                let s = src + o * length * inner, d = dst + o * outLength * inner
                for k in 0..<w.count {
                    let wk = w[k], sk = s + k * inner
                    for j in 0..<(outLength * inner) { d[j] += wk * sk[j] }
                }
            }
        }
    }

    /// out[o, i + k, r] += w_k in[o, i, r] (out overwritten first).
    private func scatter(
        _ src: UnsafePointer<S>, _ shape: [Int], _ dst: UnsafeMutablePointer<S>, _ outShape: [Int], axis: Int
    ) {
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        let outLength = outShape[axis]
        dst.update(repeating: 0, count: outer * outLength * inner)
        taps.withUnsafeBufferPointer { w in
            for o in 0..<outer {
                let s = src + o * length * inner, d = dst + o * outLength * inner
                for k in 0..<w.count {
                    let wk = w[k], dk = d + k * inner
                    for j in 0..<(length * inner) { dk[j] += wk * s[j] }
                }
            }
        }
    }
}
