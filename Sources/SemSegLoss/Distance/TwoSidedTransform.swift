// MARK: - Fused two-sided exact EDT

/// `EDT(m) + EDT(¬m)` in one separable transform: for every voxel, the distance to the
/// nearest voxel of the **other** class (object voxels: to the background; background
/// voxels: to the object), `+∞` on images with a single class.
///
/// Two separate EDTs do twice the work: along every line each one runs the envelope over
/// all `n` voxels, although voxels of the other class contribute only zeros. Here every
/// line is split into runs of equal class. For a voxel `q` of a run `[a, b]` the only
/// candidates are the run's own voxels (partial squared distances `f` from the previous
/// passes, which measure distances to the other class, as `q` needs) and the two voxels
/// `a − 1` and `b + 1` just outside it, which are of the other class (value 0): any voxel
/// `p` beyond them is dominated, `w(q − p)² + f(p) ≥ w(q − (b + 1))²`. The invariant
/// "value 0 on ... the other class" holds after every pass because it is exact per pass. So
/// each line costs one pass over `n` voxels for both transforms together, and runs are short
/// on fragmented masks (direct search) and long only inside large objects (envelope).
///
/// Two strategies, chosen per call from a sample of rows (`isFragmented`):
/// - **large objects** (few class changes): column scans along axis 0 (vectorised across
///   each plane), then runs along the other axes, solved by direct search when short and by
///   the Felzenszwalb–Huttenlocher envelope when long (`line`);
/// - **fragmented masks** (noisy predictions): scans along the rows, then the other axes in
///   strips of 8 adjacent lines searched 8 lanes at a time (`stripPass`, candidates
///   `w·d² + (same class ? f : 0)`), with the run solver as fallback for long distances.
///
/// Exact in Double, as `EuclideanDistanceTransform`: the result equals `EDT(m) + EDT(¬m)`
/// (for unit spacing bit for bit: both are the correctly rounded square root of the same
/// exact integer sum; tests compare with SciPy and brute force).
enum TwoSidedTransform {
    typealias Kernels = DistanceTransformKernels

    /// Runs up to this length use the direct outward search instead of the envelope.
    static let shortRun = 16
    /// Longer runs use it too when every voxel's result is provably within this radius.
    static let directRadius = 6

    /// Writes the two-sided distance of every voxel of `geometry` (mask bytes, non-zero =
    /// object) into `output`.
    ///
    /// Fragmented path: pass 1 runs along the last (contiguous) axis (two scalar scans);
    /// every other axis is then done in strips of 8 adjacent columns (`stripPass`), whose
    /// lanes are contiguous in memory. The last pass takes the square root.
    static func run(
        mask: UnsafePointer<UInt8>, geometry g: DistanceGeometry, output: UnsafeMutablePointer<Double>
    ) throws(SegLossError) {
        let axes = g.spatial.count
        if axes >= 2 && !isFragmented(mask: mask, geometry: g) {
            // Large objects: long runs, long distances: column scans, then runs and envelopes.
            columnScan(mask: mask, geometry: g, output: output)
            if axes == 3 { try middleRuns(mask: mask, output, geometry: g) }
            try rowRuns(mask: mask, output, geometry: g)
            return
        }
        rowScan(mask: mask, geometry: g, output: output)
        guard axes >= 2 else { return }
        let inner = g.spatial[axes - 1]
        if axes == 3 {
            try stripPass(mask: mask, output, geometry: g, axis: 1, stride: inner, squareRoot: false)
            try stripPass(mask: mask, output, geometry: g, axis: 0, stride: g.spatial[1] * inner, squareRoot: true)
        } else {
            try stripPass(mask: mask, output, geometry: g, axis: 0, stride: inner, squareRoot: true)
        }
    }

    /// Whether class changes along the rows are frequent (more than one per
    /// `fragmentRun` voxels): then distances are short and the vectorised strip search wins.
    static func isFragmented(mask: UnsafePointer<UInt8>, geometry g: DistanceGeometry) -> Bool {
        let n = g.spatial[g.spatial.count - 1]
        let rows = g.totalCount / n
        let step = max(1, rows / 16)  // a sample of rows is enough
        var changes = 0, seen = 0
        var r = 0
        while r < rows {
            let m = mask + r * n
            for q in 1..<max(n, 1) { changes &+= (m[q] != 0) != (m[q &- 1] != 0) ? 1 : 0 }
            seen &+= n
            r &+= step
        }
        return changes &* fragmentRun > seen
    }

    /// Mean run length below which a mask counts as fragmented.
    static let fragmentRun = 20

    // MARK: Large objects: column scans, then runs

    /// Pass 1 (axis 0, vectorised across each plane): distance along the column to the
    /// nearest voxel of the other class, squared and scaled by the axis spacing².
    static func columnScan(mask: UnsafePointer<UInt8>, geometry g: DistanceGeometry, output: UnsafeMutablePointer<Double>) {
        let n = g.spatial[0]
        let plane = g.imageCount / n
        let width = min(plane, 256)
        let itemsPerImage = (plane + width - 1) / width
        let s = g.spacing[0]
        let scale = s * s
        let limit = Kernels.farAway * 0.5
        Parallel.forEachRange(
            count: g.batch * itemsPerImage, chunkSize: max(1, (1 << 14) / (n * width)),
            workPerElement: n * width, threshold: DistanceTransformPasses.parallelVoxels
        ) { _, items in
            for item in items {
                let (b, i) = item.quotientAndRemainder(dividingBy: itemsPerImage)
                let lo = b * g.imageCount + i * width
                let count = min(plane, (i + 1) * width) - i * width
                do {
                    let o = output + lo
                    for c in 0..<count { o[c] = Kernels.farAway }
                }
                for j in 1..<max(n, 1) {
                    let m = mask + (lo &+ j &* plane), pm = m - plane
                    let o = output + (lo &+ j &* plane), po = o - plane
                    for c in 0..<count { o[c] = (m[c] != 0) == (pm[c] != 0) ? po[c] + 1 : 1 }
                }
                for j in stride(from: n - 2, through: 0, by: -1) {
                    let m = mask + (lo &+ j &* plane), nm = m + plane
                    let o = output + (lo &+ j &* plane), no = o + plane
                    for c in 0..<count {
                        let k = no[c]
                        let b = (m[c] != 0) == (nm[c] != 0) ? k + 1 : 1
                        o[c] = b < o[c] ? b : o[c]
                        no[c] = k < limit ? k * k * scale : .infinity
                    }
                }
                let o = output + lo
                for c in 0..<count {
                    let k = o[c]
                    o[c] = k < limit ? k * k * scale : .infinity
                }
            }
        }
    }

    /// Axis 1 of 3-D images, lines of stride `n₂` gathered 8 at a time, solved run by run.
    static func middleRuns(mask: UnsafePointer<UInt8>, _ data: UnsafeMutablePointer<Double>, geometry g: DistanceGeometry) throws(SegLossError) {
        let n = g.spatial[1], inner = g.spatial[2]
        let width = Kernels.blockWidth
        let blocks = (inner + width - 1) / width
        let w = g.spacing[1] * g.spacing[1]
        let doubles = 2 * width * n + RunStacks.doubleCount(length: n)
        let bytesAsDoubles = (width * n + 7) / 8
        try DistanceTransformPasses.forEachChunk(
            items: g.totalCount / (n * inner) * blocks, itemsPerChunk: max(1, (1 << 13) / (n * width)),
            scratch: doubles + bytesAsDoubles, work: g.totalCount
        ) { items, scratch in
            let block = scratch, results = scratch + width * n
            let stacks = RunStacks(scratch + 2 * width * n, length: n)
            let classes = UnsafeMutableRawPointer(scratch + doubles).bindMemory(to: UInt8.self, capacity: width * n)
            for item in items {
                let (o, b) = item.quotientAndRemainder(dividingBy: blocks)
                let start = o * n * inner + b * width
                let lanes = min(width, inner - b * width)
                for j in 0..<n {
                    let src = data + (start &+ j &* inner), m = mask + (start &+ j &* inner)
                    let bj = block + j &* width, cj = classes + j &* width
                    for c in 0..<lanes {
                        bj[c] = src[c]
                        cj[c] = m[c]
                    }
                }
                for c in 0..<lanes {
                    line(f: block + c, classes: classes + c, count: n, step: width, weight: w,
                         out: results + c, stacks: stacks, tryDirect: false)
                }
                for j in 0..<n {
                    let dst = data + (start &+ j &* inner), src = results + j &* width
                    for c in 0..<lanes { dst[c] = src[c] }
                }
            }
        }
    }

    /// Last (contiguous) axis solved run by run, square root included.
    static func rowRuns(mask: UnsafePointer<UInt8>, _ data: UnsafeMutablePointer<Double>, geometry g: DistanceGeometry) throws(SegLossError) {
        let axis = g.spatial.count - 1
        let n = g.spatial[axis]
        let w = g.spacing[axis] * g.spacing[axis]
        try DistanceTransformPasses.forEachChunk(
            items: g.totalCount / n, itemsPerChunk: max(1, (1 << 13) / n),
            scratch: n + RunStacks.doubleCount(length: n), work: g.totalCount
        ) { items, scratch in
            let results = scratch
            let stacks = RunStacks(scratch + n, length: n)
            for item in items {
                let row = data + item * n
                line(f: row, classes: mask + item * n, count: n, step: 1, weight: w, out: results, stacks: stacks,
                     tryDirect: false)
                var j = 0
                while j + 8 <= n {
                    let v = UnsafeRawPointer(results + j).loadUnaligned(as: SIMD8<Double>.self)
                    UnsafeMutableRawPointer(row + j).storeBytes(of: Kernels.squareRoot(v), as: SIMD8<Double>.self)
                    j += 8
                }
                while j < n {
                    row[j] = results[j].squareRoot()
                    j += 1
                }
            }
        }
    }
}
