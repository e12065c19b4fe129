@testable import SemSegLoss

/// The reference for `SoftSkeleton`: its implementation before the choice codes (commit
/// a78b4ef), kept verbatim but for the value-only morphology: each erosion / dilation
/// records the absolute index of the voxel it took (dilation passes composed), and the
/// reverse pass scatters ∂L/∂out_i to that index (`dn[from[i]] += dO[i]`, i ascending).
/// Same tie rules as documented on `SoftSkeleton`.
struct IndexScatterSkeleton<S: SegScalar> {
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
        let n = count
        var ds = dSkeleton                                   // ∂L/∂s_k
        var dNext = [S](repeating: 0, count: n)              // ∂L/∂x_{k+1}
        var dImage = [S](repeating: 0, count: n)             // ∂L/∂x_k
        var dOpening = [S](repeating: 0, count: n)
        for k in stride(from: iterations, through: 0, by: -1) {
            ds.withUnsafeMutableBufferPointer { dsb in
                dImage.withUnsafeMutableBufferPointer { dib in
                    dOpening.withUnsafeMutableBufferPointer { dob in
                        tape.images[k].withUnsafeBufferPointer { xb in
                            tape.openings[k].withUnsafeBufferPointer { ob in
                                let ds = dsb.baseAddress!, di = dib.baseAddress!, dO = dob.baseAddress!
                                let x = xb.baseAddress!, opening = ob.baseAddress!
                                if k > 0 {
                                    tape.skeletons[k - 1].withUnsafeBufferPointer { pb in
                                        let previous = pb.baseAddress!
                                        for i in 0..<n {
                                            // δ = relu(x − opening); s_k = s + relu(δ − s·δ)
                                            let delta = x[i] - opening[i], s = previous[i]
                                            let active = delta > 0 && delta - s * delta > 0
                                            let dDelta = active ? ds[i] * (1 - s) : 0
                                            ds[i] = active ? ds[i] * (1 - delta) : ds[i]
                                            di[i] = dDelta
                                            dO[i] = -dDelta
                                        }
                                    }
                                } else {
                                    for i in 0..<n {
                                        let d = x[i] - opening[i] > 0 ? ds[i] : 0
                                        di[i] = d
                                        dO[i] = -d
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // opening_k = dilate(x_{k+1}), then x_{k+1} = erode(x_k): scatter along the choices.
            dNext.withUnsafeMutableBufferPointer { nb in
                dImage.withUnsafeMutableBufferPointer { ib in
                    dOpening.withUnsafeBufferPointer { ob in
                        tape.dilated[k].withUnsafeBufferPointer { db in
                            tape.eroded[k].withUnsafeBufferPointer { eb in
                                let dn = nb.baseAddress!, di = ib.baseAddress!, dO = ob.baseAddress!
                                let dilatedFrom = db.baseAddress!, erodedFrom = eb.baseAddress!
                                for i in 0..<n where dO[i] != 0 { dn[Int(dilatedFrom[i])] += dO[i] }
                                for i in 0..<n where dn[i] != 0 { di[Int(erodedFrom[i])] += dn[i] }
                            }
                        }
                    }
                }
            }
            swap(&dNext, &dImage)
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
        if stride == 1 {
            // Along the lines themselves (window order i − 1, i, i + 1, as below).
            for o in 0..<outer {
                let base = o * length, line = x + base, dst = out + base, f = from + base
                let b32 = Int32(truncatingIfNeeded: base)
                let first = better(line[1], line[0])
                dst[0] = first ? line[1] : line[0]
                f[0] = first ? b32 &+ 1 : b32
                let last = better(line[length - 1], line[length - 2])
                dst[length - 1] = last ? line[length - 1] : line[length - 2]
                f[length - 1] = b32 &+ Int32(truncatingIfNeeded: last ? length - 1 : length - 2)
                for q in 1..<(length - 1) {
                    let a = line[q - 1], b = line[q], c = line[q + 1]
                    let i = b32 &+ Int32(truncatingIfNeeded: q)
                    let takeB = better(b, a)
                    var best = takeB ? b : a
                    var at = takeB ? i : i &- 1
                    let takeC = better(c, best)
                    best = takeC ? c : best
                    at = takeC ? i &+ 1 : at
                    dst[q] = best
                    f[q] = at
                }
            }
            return
        }
        for o in 0..<outer {
            for q in 0..<length {
                let row = (o * length + q) * stride
                let hasPrevious = q > 0, hasNext = q < length - 1
                if hasPrevious && hasNext {
                    let pa = x + (row - stride), pb = x + row, pc = x + (row + stride)
                    let o = out + row, f = from + row
                    let base = Int32(truncatingIfNeeded: row), s32 = Int32(truncatingIfNeeded: stride)
                    for t in 0..<stride {
                        let a = pa[t], b = pb[t], c = pc[t]
                        let i = base &+ Int32(truncatingIfNeeded: t)
                        let takeB = better(b, a)
                        var best = takeB ? b : a
                        var at = takeB ? i : i &- s32
                        let takeC = better(c, best)
                        best = takeC ? c : best
                        at = takeC ? i &+ s32 : at
                        o[t] = best
                        f[t] = at
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
