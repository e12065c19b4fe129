// MARK: - Separable 'same' filtering with zero padding

/// A symmetric 1-D kernel applied along every spatial axis of one (image, channel) plane,
/// keeping the plane's size, with zeros outside the plane ('same' convolution with zero
/// padding, as PyTorch's `conv` with padding (k − 1)/2 and MONAI's `separable_filtering`):
///
///     out[i] = Σ_{k=0..<taps} w_k · in[i + k − r]   (in = 0 outside),   r = (taps − 1)/2
///
/// Used for the constant smoothed targets of `NACLLoss`; any number of spatial axes. Each
/// pass accumulates one tap at a time over contiguous runs (whole rows for the outer axes,
/// the line itself for the last axis), so the inner loops vectorise.
struct SameSizeFilter<S: SegScalar> {
    /// Odd number of taps.
    let taps: [S]

    /// Filters `plane` (row-major, `spatial` dims) in place; `work` holds as many scalars.
    func apply(_ plane: UnsafeMutablePointer<S>, spatial: ArraySlice<Int>, work: UnsafeMutablePointer<S>) {
        let dims = Array(spatial)
        let count = dims.reduce(1, *)
        let r = taps.count / 2
        for axis in dims.indices {
            let length = dims[axis]
            let stride = dims[(axis + 1)...].reduce(1, *)
            let outer = count / (length * stride)
            work.update(from: plane, count: count)
            plane.update(repeating: 0, count: count)
            for o in 0..<outer {
                let base = o * length * stride
                for (k, w) in taps.enumerated() {
                    // Output i reads input i + k − r, inside [0, length).
                    let lo = max(0, r - k), hi = min(length, length + r - k)
                    guard lo < hi else { continue }
                    let dst = plane + base + lo * stride, src = work + base + (lo + k - r) * stride
                    let run = (hi - lo) * stride
                    for s in 0..<run { dst[s] += w * src[s] }
                }
            }
        }
    }
}
