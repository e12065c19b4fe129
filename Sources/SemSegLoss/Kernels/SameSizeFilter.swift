// MARK: - Separable 'same' filtering with zero padding

/// A symmetric 1-D kernel applied along every spatial axis of one (image, channel) plane,
/// keeping the plane's size, with zeros outside the plane ('same' convolution with zero
/// padding, as PyTorch's `conv` with padding (k − 1)/2 and MONAI's `separable_filtering`):
///
///     out[i] = Σ_{k=0..<taps} w_k · in[i + k − r]   (in = 0 outside),   r = (taps − 1)/2
///
/// Used for the constant smoothed targets of `NACLLoss`; any number of spatial axes.
///
/// Along an axis of length L and stride s (the product of the later axes), each run of
/// L·s consecutive elements is one line per s-offset, and output q of the run reads input
/// q + (k − r)·s when that lies in [0, L·s): the pass is a 1-D filter on the run with
/// step s and zeros outside the run. The pass goes through each run in chunks of
/// `Blocks.size` outputs; the centre tap sets a chunk and the others add to it one at a
/// time (contiguous loops, which vectorise) while it stays in L1, and the passes
/// alternate between the output plane and `work`, so no pass copies or zeroes a plane.
struct SameSizeFilter<S: SegScalar> {
    /// Odd number of taps.
    let taps: [S]

    /// Filters `input` (row-major, `spatial` dims) into `plane`, which may be `input`
    /// itself; `work` holds as many scalars (its contents are overwritten).
    func apply(_ input: UnsafePointer<S>, into plane: UnsafeMutablePointer<S>, spatial: ArraySlice<Int>,
               work: UnsafeMutablePointer<S>) {
        let dims = Array(spatial)
        let count = dims.reduce(1, *)
        guard !dims.isEmpty else {
            if input != plane { plane.update(from: input, count: count) }
            return
        }
        // The passes alternate between `plane` and `work` and the last one writes `plane`:
        // the first writes `plane` for an odd number of axes (then an in-place input is
        // first moved to `work`), `work` for an even one.
        var source = input
        var target = dims.count % 2 == 1 ? plane : work
        if target == UnsafeMutablePointer(mutating: input) {
            work.update(from: input, count: count)
            source = UnsafePointer(work)
        }
        for axis in dims.indices {
            let stride = dims[(axis + 1)...].reduce(1, *)
            let run = dims[axis] * stride
            var base = 0
            while base < count {
                filterRun(source + base, into: target + base, count: run, step: stride)
                base += run
            }
            let written = target
            target = written == plane ? work : plane
            source = UnsafePointer(written)
        }
    }

    /// out[q] = Σ_k w_k·in[q + (k − r)·step] over the taps whose input lies in [0, count).
    private func filterRun(_ input: UnsafePointer<S>, into out: UnsafeMutablePointer<S>, count: Int, step: Int) {
        let r = taps.count / 2
        if taps.count == 3 {
            filterRun3(input, into: out, count: count, step: step)
            return
        }
        var lo = 0
        while lo < count {
            let hi = min(count, lo + Blocks.size)
            // The centre tap (shift 0) reads every output's own input: it sets the chunk.
            let centre = taps[r]
            for q in lo..<hi { out[q] = centre * input[q] }
            for (k, w) in taps.enumerated() where k != r {
                let shift = (k - r) * step
                // Outputs q in [lo, hi) with 0 ≤ q + shift < count.
                let first = max(lo, -shift), last = min(hi, count - shift)
                guard first < last else { continue }
                let dst = out + first, src = input + (first + shift)
                for q in 0..<(last - first) { dst[q] += w * src[q] }
            }
            lo = hi
        }
    }

    /// `filterRun` for three taps (NACL's default box): one loop adds the three taps of
    /// every output whose neighbours both lie in the run; the `step` outputs at each end
    /// take the two taps they have.
    private func filterRun3(_ input: UnsafePointer<S>, into out: UnsafeMutablePointer<S>, count: Int, step: Int) {
        let w0 = taps[0], w1 = taps[1], w2 = taps[2]
        let edge = min(step, count)
        // First `edge` outputs: no left neighbour (and no right one when count ≤ step).
        for q in 0..<edge { out[q] = w1 * input[q] + (q + step < count ? w2 * input[q + step] : 0) }
        guard count > step else { return }
        let left = input, centre = input + step, right = input + 2 * step, o = out + step
        for q in 0..<max(0, count - 2 * step) { o[q] = w0 * left[q] + w1 * centre[q] + w2 * right[q] }
        // Last `step` outputs: no right neighbour.
        let tail = max(step, count - step), before = input + (tail - step)
        for q in 0..<(count - tail) { out[tail + q] = w0 * before[q] + w1 * input[tail + q] }
    }
}
