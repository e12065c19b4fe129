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
/// Every operation is piecewise linear: the forward pass records, for each output voxel,
/// which input voxel a min or max took (on ties the first one in window order along an
/// axis, the earlier axis for the erosion, the last pass's choice for the separable
/// dilation: a subgradient, like PyTorch's pooling picks one) and the signs of the relu
/// arguments, and `backward` sends ∂L/∂s back through them to ∂L/∂x.
struct SoftSkeleton<S: SegScalar> {
    /// The plane's spatial dims, left-padded with 1 to three axes.
    let dims: (Int, Int, Int)
    let iterations: Int
    var count: Int { dims.0 * dims.1 * dims.2 }

    init(spatial: ArraySlice<Int>, iterations: Int) {
        let d = [Int](repeating: 1, count: 3 - spatial.count) + spatial
        dims = (d[0], d[1], d[2])
        self.iterations = iterations
    }

    /// What the reverse pass needs: the images x_k, the openings, the skeletons s_k and
    /// the voxel each erosion / dilation took.
    struct Tape {
        var images: [[S]] = []      // x_0 … x_{K+1}
        var openings: [[S]] = []    // dilate(x_{k+1}), k = 0 … K
        var skeletons: [[S]] = []   // s_0 … s_K
        var eroded: [[Int32]] = []  // source of x_{k+1}[i] in x_k
        var dilated: [[Int32]] = [] // source of opening_k[i] in x_{k+1}
    }

    /// The skeleton of `x` (count values); with `tape`, what `backward` needs.
    func forward(_ x: UnsafePointer<S>, record: Bool) -> (skeleton: [S], tape: Tape?) {
        var tape = Tape()
        var image = Array(UnsafeBufferPointer(start: x, count: count))
        var skeleton = [S](repeating: 0, count: count)
        for k in 0...iterations {
            let (next, erodedFrom) = erode(image)
            let (opening, dilatedFrom) = dilate(next)
            for i in 0..<count {
                let delta = max(image[i] - opening[i], 0)
                let s = skeleton[i]
                skeleton[i] = k == 0 ? delta : s + max(delta - s * delta, 0)
            }
            if record {
                tape.images.append(image)
                tape.openings.append(opening)
                tape.skeletons.append(skeleton)
                tape.eroded.append(erodedFrom)
                tape.dilated.append(dilatedFrom)
            }
            image = next
        }
        if record { tape.images.append(image) }
        return (skeleton, record ? tape : nil)
    }

    /// ∂L/∂x from ∂L/∂s (the final skeleton), through the recorded operations.
    func backward(_ tape: Tape, _ dSkeleton: [S]) -> [S] {
        var ds = dSkeleton                                   // ∂L/∂s_k
        var dNext = [S](repeating: 0, count: count)          // ∂L/∂x_{k+1}
        for k in stride(from: iterations, through: 0, by: -1) {
            let x = tape.images[k], opening = tape.openings[k]
            let previous: [S]? = k > 0 ? tape.skeletons[k - 1] : nil
            var dImage = [S](repeating: 0, count: count)     // ∂L/∂x_k
            var dOpening = [S](repeating: 0, count: count)
            for i in 0..<count {
                let arg = x[i] - opening[i]
                guard arg > 0 else { continue }               // δ_k = 0: no gradient to x_k or the opening
                let delta = arg
                var dDelta: S
                if let previous {
                    let s = previous[i]
                    let active = delta - s * delta > 0
                    dDelta = active ? ds[i] * (1 - s) : 0
                    if active { ds[i] = ds[i] * (1 - delta) }  // ∂s_k/∂s_{k−1} = 1 − δ_k
                } else {
                    dDelta = ds[i]
                }
                dImage[i] += dDelta
                dOpening[i] -= dDelta
            }
            // opening_k = dilate(x_{k+1}), then x_{k+1} = erode(x_k).
            let dilatedFrom = tape.dilated[k], erodedFrom = tape.eroded[k]
            for i in 0..<count where dOpening[i] != 0 { dNext[Int(dilatedFrom[i])] += dOpening[i] }
            for i in 0..<count where dNext[i] != 0 { dImage[Int(erodedFrom[i])] += dNext[i] }
            dNext = dImage
        }
        return dNext
    }

    // MARK: Morphology with the chosen voxel

    /// The axes with more than one voxel, as (length, stride).
    private var axes: [(length: Int, stride: Int)] {
        [(dims.0, dims.1 * dims.2), (dims.1, dims.2), (dims.2, 1)].filter { $0.length > 1 }
    }

    /// The extreme (min or max) of each voxel's 3-voxel window along one axis, and the
    /// voxel it came from (window order i − s, i, i + s; the first extreme wins ties).
    /// Border voxels use the clipped window; the interior loop is branch-free.
    private func axisExtreme(
        _ x: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ from: UnsafeMutablePointer<Int32>,
        length: Int, stride: Int, maximum: Bool
    ) {
        let outer = count / (length * stride)
        @inline(__always) func better(_ a: S, _ b: S) -> Bool { maximum ? a > b : a < b }
        for o in 0..<outer {
            for q in 0..<length {
                let row = (o * length + q) * stride
                let hasPrevious = q > 0, hasNext = q < length - 1
                if hasPrevious && hasNext {
                    for t in 0..<stride {
                        let i = row + t
                        let a = x[i - stride], b = x[i], c = x[i + stride]
                        let takeB = better(b, a)
                        var best = takeB ? b : a
                        var at = takeB ? Int32(truncatingIfNeeded: i) : Int32(truncatingIfNeeded: i - stride)
                        let takeC = better(c, best)
                        best = takeC ? c : best
                        at = takeC ? Int32(truncatingIfNeeded: i + stride) : at
                        out[i] = best
                        from[i] = at
                    }
                } else {
                    for t in 0..<stride {
                        let i = row + t
                        var best = x[i], at = i
                        if hasPrevious, !better(x[i], x[i - stride]) { best = x[i - stride]; at = i - stride }
                        if hasNext, better(x[i + stride], best) { best = x[i + stride]; at = i + stride }
                        out[i] = best
                        from[i] = Int32(truncatingIfNeeded: at)
                    }
                }
            }
        }
    }

    /// Soft erosion: the minimum over the axis windows (axis 0, then 1, then 2; an earlier
    /// axis wins ties), and the voxel it came from.
    func erode(_ x: [S]) -> ([S], [Int32]) {
        var out = x, from = (0..<count).map { Int32(truncatingIfNeeded: $0) }
        var value = [S](repeating: 0, count: count), source = [Int32](repeating: 0, count: count)
        let n = count
        for (k, axis) in axes.enumerated() {
            x.withUnsafeBufferPointer { xb in
                axisExtreme(xb.baseAddress!, &value, &source, length: axis.length, stride: axis.stride, maximum: false)
            }
            out.withUnsafeMutableBufferPointer { ob in
                from.withUnsafeMutableBufferPointer { fb in
                    value.withUnsafeBufferPointer { vb in
                        source.withUnsafeBufferPointer { sb in
                            let o = ob.baseAddress!, f = fb.baseAddress!, v = vb.baseAddress!, s = sb.baseAddress!
                            let first = k == 0
                            for i in 0..<n {
                                let take = first || v[i] < o[i]
                                o[i] = take ? v[i] : o[i]
                                f[i] = take ? s[i] : f[i]
                            }
                        }
                    }
                }
            }
        }
        return (out, from)
    }

    /// Soft dilation: the maximum over the 3×3(×3) window, as three separable axis passes
    /// (a window maximum is the maximum of the axis maxima), and the voxel it came from.
    func dilate(_ x: [S]) -> ([S], [Int32]) {
        var out = x, from = (0..<count).map { Int32(truncatingIfNeeded: $0) }
        var value = [S](repeating: 0, count: count), source = [Int32](repeating: 0, count: count)
        let n = count
        for axis in axes.reversed() {
            out.withUnsafeBufferPointer { ob in
                axisExtreme(ob.baseAddress!, &value, &source, length: axis.length, stride: axis.stride, maximum: true)
            }
            // `source` indexes the previous pass: compose to a voxel of x.
            source.withUnsafeMutableBufferPointer { sb in
                from.withUnsafeBufferPointer { fb in
                    let s = sb.baseAddress!, f = fb.baseAddress!
                    for i in 0..<n { s[i] = f[Int(s[i])] }
                }
            }
            swap(&out, &value)
            swap(&from, &source)
        }
        return (out, from)
    }
}
