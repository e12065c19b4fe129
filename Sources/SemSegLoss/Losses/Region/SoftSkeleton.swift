// MARK: - Soft skeleton (clDice) with its reverse pass

/// The soft skeleton of Shit et al. (clDice, CVPR 2021) on one (image, channel) plane of up
/// to three spatial axes, as MONAI's `soft_skel`:
///
///     erode(x)_i  = min over the axis-aligned 3-voxel windows through i (the cross)
///     dilate(x)_i = max over the 3×3(×3) window around i      (windows clipped at the border)
///     open(x)     = dilate(erode(x))
///     x₀ = x, x_{k+1} = erode(x_k),  δ_k = relu(x_k − open(x_k)) = relu(x_k − dilate(x_{k+1}))
///     s₀ = δ₀,  s_k = s_{k−1} + relu(δ_k − s_{k−1}·δ_k)   (k = 1 … iterations)
///
/// Every operation is piecewise linear. With a tape, the forward pass records which voxel
/// each min or max took, as one-byte codes (`SkeletonPasses`), and x_k − open(x_k) and
/// s_{k−1} for the relus:
///
/// - the erosion (the axes of more than one voxel, a = 0, 1, 2, one window pass each,
///   minimum of the passes): code 0 = the voxel itself, 1 + 2a = its minus neighbour
///   i − s_a, 2 + 2a = its plus neighbour i + s_a. Ties: the first voxel in window order
///   (i − s, i, i + s) along an axis, the earlier axis across axes.
/// - the dilation: the maximum of the 3×3(×3) window as separable window maxima (last axis
///   first, each pass reading the previous one), one code per pass (0 centre, 1 minus,
///   2 plus; ties as above). This is a subgradient, like PyTorch's pooling picks one.
///
/// `backward` sends ∂L/∂s back through the relus, then through each recorded pass by its
/// transpose, a gather (no data-dependent scatter): for a pass with codes c along stride s,
///
///     ∂L/∂in_j = ∂L/∂out_j·[c_j = 0] + ∂L/∂out_{j+s}·[c_{j+s} = minus] + ∂L/∂out_{j−s}·[c_{j−s} = plus]
///
/// (neighbours only inside the line along the axis): the dilation's passes in reverse
/// order, then the erosion (the centre term once, then each axis' two side terms).
/// Buffers are caller-provided or pooled (`ScratchBuffers`); nothing is allocated per step.
struct SoftSkeleton<S: SegScalar> {
    /// The plane's spatial dims, left-padded with 1 to three axes.
    let dims: (Int, Int, Int)
    let iterations: Int
    let count: Int
    /// The axes with more than one voxel, in order (a = 0, 1, 2 of the erosion codes).
    let axes: [SkeletonAxis]

    init(spatial: ArraySlice<Int>, iterations: Int) {
        let d = [Int](repeating: 1, count: 3 - spatial.count) + spatial
        dims = (d[0], d[1], d[2])
        self.iterations = iterations
        count = d[0] * d[1] * d[2]
        let n = count
        axes = [(d[0], d[1] * d[2]), (d[1], d[2]), (d[2], 1)]
            .filter { $0.0 > 1 }
            .map { SkeletonAxis(length: $0.0, stride: $0.1, outer: n / ($0.0 * $0.1)) }
    }

    /// What `backward` needs, in caller-provided buffers.
    struct Tape {
        /// x_k − open(x_k), k = 0 … K (`count` each).
        let differences: UnsafeMutablePointer<S>
        /// s_0 … s_{K−1}.
        let skeletons: UnsafeMutablePointer<S>
        /// Per step k: the erosion's codes, then one block per dilation pass.
        let codes: UnsafeMutablePointer<UInt8>
    }

    /// Scalars of a tape's `differences` and `skeletons`, bytes of its `codes`.
    var tapeScalars: Int { (2 * iterations + 1) * count }
    var tapeCodes: Int { (iterations + 1) * (1 + axes.count) * count }
    /// Scalars of the work buffer of `forward` (`backward` uses 3·count of it).
    var workScalars: Int { 4 * count }

    /// The codes of step k.
    private func stepCodes(_ tape: Tape, _ k: Int) -> UnsafeMutablePointer<UInt8> {
        tape.codes + k * (1 + axes.count) * count
    }

    // MARK: Forward

    /// The skeleton s_K of `x` into `skeleton`; `work` holds `workScalars`. With `Record`,
    /// fills `tape`.
    func forward<Record: StaticFlag>(
        _ x: UnsafePointer<S>, into skeleton: UnsafeMutablePointer<S>, work: UnsafeMutablePointer<S>,
        tape: Tape?, _: Record.Type
    ) {
        let n = count
        let images = (work, work + n), t = work + 2 * n, u = work + 3 * n
        // Never written without Record.
        let noCodes = UnsafeMutableRawPointer(work).assumingMemoryBound(to: UInt8.self)
        var image = x
        for k in 0...iterations {
            let next = k % 2 == 0 ? images.0 : images.1
            let codes = Record.isOn ? stepCodes(tape!, k) : noCodes
            erode(image, into: next, codes: codes, Record.self)
            let opening = dilate(UnsafePointer(next), t, u, codes: codes + (Record.isOn ? n : 0), Record.self)
            // s_k into the tape (s_K into `skeleton`); without Record, in place.
            let current = Record.isOn && k < iterations ? tape!.skeletons + k * n : skeleton
            let differences = Record.isOn ? tape!.differences + k * n : skeleton
            if k == 0 {
                SkeletonSteps.first(image, opening, current, differences, n, Record.self)
            } else {
                let previous = Record.isOn ? tape!.skeletons + (k - 1) * n : skeleton
                SkeletonSteps.next(image, opening, UnsafePointer(previous), current, differences, n, Record.self)
            }
            image = UnsafePointer(next)
        }
    }

    /// erode(x) into `out`; with Record, its codes.
    func erode<Record: StaticFlag>(
        _ x: UnsafePointer<S>, into out: UnsafeMutablePointer<S>, codes: UnsafeMutablePointer<UInt8>, _: Record.Type
    ) {
        guard !axes.isEmpty else {
            out.update(from: x, count: count)
            if Record.isOn { codes.update(repeating: SkeletonPasses.centre, count: count) }
            return
        }
        // With contiguous lines (the last axis), its pass and the one before run as one sweep.
        let fused = axes.count >= 2 && axes[axes.count - 1].stride == 1
        for (a, axis) in axes.enumerated() {
            let minus = UInt8(1 + 2 * a), plus = UInt8(2 + 2 * a)
            if fused && a == axes.count - 2 {
                if a == 0 {
                    SkeletonPasses.erodeLastTwo(x, out, codes, axis, minus: minus, plus: plus, lineMinus: plus + 1, linePlus: plus + 2, Record.self, Off.self)
                } else {
                    SkeletonPasses.erodeLastTwo(x, out, codes, axis, minus: minus, plus: plus, lineMinus: plus + 1, linePlus: plus + 2, Record.self, On.self)
                }
                break
            }
            if a == 0 {
                SkeletonPasses.extreme(x, out, codes, axis, minus: minus, plus: plus, Off.self, Record.self, Off.self)
            } else {
                SkeletonPasses.extreme(x, out, codes, axis, minus: minus, plus: plus, Off.self, Record.self, On.self)
            }
        }
    }

    /// dilate(x), in `t` or `u` (or x itself without axes); with Record, the codes of pass p
    /// at codes + p·count.
    func dilate<Record: StaticFlag>(
        _ x: UnsafePointer<S>, _ t: UnsafeMutablePointer<S>, _ u: UnsafeMutablePointer<S>,
        codes: UnsafeMutablePointer<UInt8>, _: Record.Type
    ) -> UnsafePointer<S> {
        var source = x, target = t
        for (p, axis) in axes.reversed().enumerated() {
            SkeletonPasses.extreme(source, target, codes + p * count, axis, minus: 1, plus: 2, On.self, Record.self, Off.self)
            source = UnsafePointer(target)
            target = target == t ? u : t
        }
        return source
    }

    // MARK: Backward

    /// ∂L/∂x into `dx` from ∂L/∂s_K in `dSkeleton` (overwritten), through `tape` (filled by
    /// `forward` of x); `work` holds `workScalars` (`dx` must not overlap it).
    func backward(_ tape: Tape, _ dSkeleton: UnsafeMutablePointer<S>, into dx: UnsafeMutablePointer<S>, work: UnsafeMutablePointer<S>) {
        let n = count
        let other = work, spare = (work + n, work + 2 * n)
        // ∂L/∂x_k lives in dx for even k, so that k = 0 ends there; ∂L/∂x_{k+1} in the other.
        for k in stride(from: iterations, through: 0, by: -1) {
            let dImage = k % 2 == 0 ? dx : other, dNext = k % 2 == 0 ? other : dx
            let differences = UnsafePointer(tape.differences + k * n)
            // ∂L/∂δ_k into dImage (∂L/∂open_k is its negative), ∂L/∂s_{k−1} into dSkeleton.
            if k > 0 {
                let previous = UnsafePointer(tape.skeletons + (k - 1) * n)
                SkeletonSteps.nextReverse(differences, previous, UnsafePointer(dSkeleton), dImage, n)
                SkeletonSteps.nextReverseSkeleton(differences, previous, dSkeleton, n)
            } else {
                SkeletonSteps.firstReverse(differences, UnsafePointer(dSkeleton), dImage, n)
            }
            // open_k = dilate(x_{k+1}): its passes in reverse order, from ∂L/∂open_k = −dImage;
            // the last subtracts from ∂L/∂x_{k+1} (nothing there yet for k = K).
            let codes = UnsafePointer(stepCodes(tape, k))
            var gradient = UnsafePointer(dImage), target = spare.0
            for p in stride(from: axes.count - 1, through: 0, by: -1) {
                let axis = axes[axes.count - 1 - p], passCodes = codes + (1 + p) * n
                if p > 0 {
                    SkeletonPasses.gather(gradient, passCodes, target, axis, minus: 1, plus: 2, On.self, Off.self, Off.self)
                    gradient = UnsafePointer(target)
                    target = target == spare.0 ? spare.1 : spare.0
                } else if k == iterations {
                    SkeletonPasses.gather(gradient, passCodes, dNext, axis, minus: 1, plus: 2, On.self, Off.self, On.self)
                } else {
                    SkeletonPasses.gather(gradient, passCodes, dNext, axis, minus: 1, plus: 2, On.self, On.self, On.self)
                }
            }
            if axes.isEmpty {
                SkeletonSteps.subtract(gradient, from: dNext, n, overwrite: k == iterations)
            }
            // x_{k+1} = erode(x_k): the centre term with the first axis, then each axis' sides.
            for (a, axis) in axes.enumerated() {
                let minus = UInt8(1 + 2 * a), plus = UInt8(2 + 2 * a)
                if a == 0 {
                    SkeletonPasses.gather(UnsafePointer(dNext), codes, dImage, axis, minus: minus, plus: plus, On.self, On.self, Off.self)
                } else {
                    SkeletonPasses.gather(UnsafePointer(dNext), codes, dImage, axis, minus: minus, plus: plus, Off.self, On.self, Off.self)
                }
            }
            if axes.isEmpty {
                for i in 0..<n { dImage[i] += dNext[i] }
            }
        }
    }

    // MARK: With pooled buffers

    /// The skeleton of `x` (count values) into `out` (left unwritten, and the failure
    /// recorded in `failures`, when the work buffers cannot be allocated).
    func skeleton(of x: UnsafePointer<S>, into out: UnsafeMutablePointer<S>, failures: AllocationFailures) {
        ScratchBuffers.withBuffer(of: S.self, count: workScalars, failures: failures) { work in
            forward(x, into: out, work: work, tape: nil, Off.self)
        }
    }

    /// ∂L/∂x of x into `dx` from ∂L/∂s_K in `dSkeleton` (overwritten): the forward pass of x
    /// with its tape, then `backward` (as `skeleton` when memory runs short).
    func gradient(
        of x: UnsafePointer<S>, dSkeleton: UnsafeMutablePointer<S>, into dx: UnsafeMutablePointer<S>,
        failures: AllocationFailures
    ) {
        ScratchBuffers.withBuffer(of: S.self, count: tapeScalars + workScalars + count, failures: failures) { scalars in
            ScratchBuffers.withBuffer(of: UInt8.self, count: tapeCodes, failures: failures) { codes in
                let tape = Tape(differences: scalars, skeletons: scalars + (iterations + 1) * count, codes: codes)
                let work = scalars + tapeScalars, skeleton = work + workScalars
                forward(x, into: skeleton, work: work, tape: tape, On.self)
                backward(tape, dSkeleton, into: dx, work: work)
            }
        }
    }
}

/// The per-voxel steps of `SoftSkeleton` (contiguous loops, selects only) and their reverses.
enum SkeletonSteps {
    /// s₀ = δ₀ = relu(x − open); with Record, x − open.
    @inline(__always)
    static func first<S: SegScalar, Record: StaticFlag>(
        _ x: UnsafePointer<S>, _ opening: UnsafePointer<S>, _ s: UnsafeMutablePointer<S>,
        _ differences: UnsafeMutablePointer<S>, _ n: Int, _: Record.Type
    ) {
        if Record.isOn { for i in 0..<n { differences[i] = x[i] - opening[i] } }
        // relu as Swift.max(v, 0) = (0 >= v ? 0 : v).
        for i in 0..<n {
            let v = x[i] - opening[i]
            s[i] = 0 >= v ? 0 : v
        }
    }

    /// s_k = s_{k−1} + relu(δ − s_{k−1}·δ), δ = relu(x − open) (`previous` may be `s`).
    @inline(__always)
    static func next<S: SegScalar, Record: StaticFlag>(
        _ x: UnsafePointer<S>, _ opening: UnsafePointer<S>, _ previous: UnsafePointer<S>,
        _ s: UnsafeMutablePointer<S>, _ differences: UnsafeMutablePointer<S>, _ n: Int, _: Record.Type
    ) {
        if Record.isOn { for i in 0..<n { differences[i] = x[i] - opening[i] } }
        for i in 0..<n {
            let v = x[i] - opening[i]
            let delta = 0 >= v ? 0 : v
            let p = previous[i], w = delta - p * delta
            s[i] = p + (0 >= w ? 0 : w)
        }
    }

    /// Reverse of `first`: ∂L/∂δ₀ = ∂L/∂s₀·[x − open > 0] into dImage.
    @inline(__always)
    static func firstReverse<S: SegScalar>(
        _ differences: UnsafePointer<S>, _ ds: UnsafePointer<S>, _ dImage: UnsafeMutablePointer<S>, _ n: Int
    ) {
        for i in 0..<n { dImage[i] = differences[i] > 0 ? ds[i] : 0 }
    }

    /// Reverse of `next`, ∂L/∂δ: where δ > 0 and δ − s·δ > 0, ∂L/∂s_k·(1 − s) (into dImage), else 0.
    @inline(__always)
    static func nextReverse<S: SegScalar>(
        _ differences: UnsafePointer<S>, _ previous: UnsafePointer<S>, _ ds: UnsafePointer<S>,
        _ dImage: UnsafeMutablePointer<S>, _ n: Int
    ) {
        for i in 0..<n {
            let delta = differences[i], s = previous[i]
            let active = ElementChecks.both(delta > 0, delta - s * delta > 0)
            dImage[i] = active ? ds[i] * (1 - s) : 0
        }
    }

    /// Reverse of `next`, ∂L/∂s_{k−1} (in place of ∂L/∂s_k): ∂L/∂s_k·(1 − δ) where active, else ∂L/∂s_k.
    @inline(__always)
    static func nextReverseSkeleton<S: SegScalar>(
        _ differences: UnsafePointer<S>, _ previous: UnsafePointer<S>, _ ds: UnsafeMutablePointer<S>, _ n: Int
    ) {
        for i in 0..<n {
            let delta = differences[i], s = previous[i]
            let active = ElementChecks.both(delta > 0, delta - s * delta > 0)
            ds[i] = active ? ds[i] * (1 - delta) : ds[i]
        }
    }

    /// target = −source, or target −= source.
    @inline(__always)
    static func subtract<S: SegScalar>(_ source: UnsafePointer<S>, from target: UnsafeMutablePointer<S>, _ n: Int, overwrite: Bool) {
        if overwrite {
            for i in 0..<n { target[i] = -source[i] }
        } else {
            for i in 0..<n { target[i] -= source[i] }
        }
    }
}
