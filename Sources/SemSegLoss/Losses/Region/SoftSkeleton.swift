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
/// which input voxel a min or max took (the first one in window order on ties: the
/// subgradient PyTorch's pooling picks) and the signs of the relu arguments, and `backward`
/// sends ∂L/∂s back through them to ∂L/∂x.
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

    /// Soft erosion: the minimum over the three axis windows (axis 0, then 1, then 2;
    /// the first minimum wins ties), and the voxel it came from.
    func erode(_ x: [S]) -> ([S], [Int32]) {
        var out = [S](repeating: 0, count: count), from = [Int32](repeating: 0, count: count)
        let (d0, d1, d2) = dims
        let strides = [d1 * d2, d2, 1], sizes = [d0, d1, d2]
        for a in 0..<d0 {
            for b in 0..<d1 {
                for c in 0..<d2 {
                    let i = (a * d1 + b) * d2 + c, coords = [a, b, c]
                    var best = x[i], at = i
                    for axis in 0..<3 where sizes[axis] > 1 {
                        // The window's first minimum along this axis (center included).
                        var axisBest = S.infinity, axisAt = i
                        for o in -1...1 {
                            let q = coords[axis] + o
                            guard q >= 0, q < sizes[axis] else { continue }
                            let j = i + o * strides[axis]
                            if x[j] < axisBest { axisBest = x[j]; axisAt = j }
                        }
                        if axis == firstAxis || axisBest < best { best = axisBest; at = axisAt }
                    }
                    out[i] = best
                    from[i] = Int32(at)
                }
            }
        }
        return (out, from)
    }

    /// The first axis with more than one voxel (its window starts the comparison).
    private var firstAxis: Int { dims.0 > 1 ? 0 : dims.1 > 1 ? 1 : 2 }

    /// Soft dilation: the maximum over the 3×3×3 window (row-major order, the first
    /// maximum wins ties), and the voxel it came from.
    func dilate(_ x: [S]) -> ([S], [Int32]) {
        var out = [S](repeating: 0, count: count), from = [Int32](repeating: 0, count: count)
        let (d0, d1, d2) = dims
        for a in 0..<d0 {
            for b in 0..<d1 {
                for c in 0..<d2 {
                    var best = -S.infinity, at = 0
                    for p in max(0, a - 1)...min(d0 - 1, a + 1) {
                        for q in max(0, b - 1)...min(d1 - 1, b + 1) {
                            for r in max(0, c - 1)...min(d2 - 1, c + 1) {
                                let j = (p * d1 + q) * d2 + r
                                if x[j] > best { best = x[j]; at = j }
                            }
                        }
                    }
                    let i = (a * d1 + b) * d2 + c
                    out[i] = best
                    from[i] = Int32(at)
                }
            }
        }
        return (out, from)
    }
}
