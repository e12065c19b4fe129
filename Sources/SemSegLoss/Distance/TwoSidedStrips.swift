// MARK: - Two-sided transform, fragmented masks: row scans and vectorised strips

extension TwoSidedTransform {
    // MARK: Fragmented masks: pass 1 along the rows

    /// Distance along each row (last axis) to the nearest voxel of the other class: squared
    /// and scaled by the axis spacing² (or `k·s` for 1-D images), `+∞` without one.
    static func rowScan(mask: UnsafePointer<UInt8>, geometry g: DistanceGeometry, output: UnsafeMutablePointer<Double>) {
        let axes = g.spatial.count
        let n = g.spatial[axes - 1]
        let rows = g.totalCount / n
        let s = g.spacing[axes - 1]
        let squared = axes > 1
        let scale = squared ? s * s : s
        Parallel.forEachRange(
            count: rows, chunkSize: max(1, (1 << 14) / n), workPerElement: n,
            threshold: DistanceTransformPasses.parallelVoxels
        ) { _, range in
            // Integer counts keep the loop-carried dependency short (1-cycle selects); the
            // forward counts are parked as Int64 bit patterns in the output row. "No voxel of
            // the other class yet" is a count beyond any line length.
            let far = Int64(1) << 60
            for r in range {
                let m = mask + r * n, o = output + r * n
                let counts = UnsafeMutableRawPointer(o)
                var k = far
                var previous = m[0] != 0
                counts.storeBytes(of: k, toByteOffset: 0, as: Int64.self)
                for q in 1..<max(n, 1) {
                    let c = m[q] != 0
                    k = c == previous ? k &+ 1 : 1
                    previous = c
                    counts.storeBytes(of: k, toByteOffset: q &* 8, as: Int64.self)
                }
                k = far
                previous = m[n - 1] != 0
                var j = n - 1
                while j >= 0 {
                    let c = m[j] != 0
                    k = c == previous ? k &+ 1 : 1
                    if j == n - 1 { k = far }
                    previous = c
                    let forward = counts.load(fromByteOffset: j &* 8, as: Int64.self)
                    k = forward < k ? forward : k  // min(forward, backward), see `columnScan`
                    let v = Double(k)
                    o[j] = k < far / 2 ? (squared ? v * v * scale : v * scale) : .infinity
                    j -= 1
                }
            }
        }
    }

    // MARK: Strip passes

    /// Envelope pass along spatial `axis` (not the last), lines of stride `stride`, in strips
    /// of 8 adjacent lines (contiguous lanes). For each position the vectorised search tries
    /// `d = 1, 2, …` with candidates `w·d² + (same class ? f : 0)` (a voxel of the other
    /// class is a zero site), until `w·d²` reaches every lane's best value; if a lane needs
    /// more than `stripCap` steps (a large object) the strip is redone lane by lane with
    /// `line` (runs, envelope). Exact either way.
    static func stripPass(
        mask: UnsafePointer<UInt8>, _ data: UnsafeMutablePointer<Double>, geometry g: DistanceGeometry,
        axis: Int, stride: Int, squareRoot: Bool
    ) throws(SegLossError) {
        let n = g.spatial[axis]
        let w = g.spacing[axis] * g.spacing[axis]
        let width = Kernels.blockWidth  // 8
        let lines = stride  // lines per (outer block): columns of the inner layout
        let strips = (lines + width - 1) / width
        let outer = g.totalCount / (n * stride)
        let doubles = 3 * width * n + RunStacks.doubleCount(length: n)
        let bytesAsDoubles = (width * n + 7) / 8
        try DistanceTransformPasses.forEachChunk(
            items: outer * strips, itemsPerChunk: max(1, (1 << 13) / (n * width)),
            scratch: doubles + bytesAsDoubles, work: g.totalCount
        ) { items, scratch in
            let results = scratch, classes = scratch + width * n, block = scratch + 2 * width * n
            let stacks = RunStacks(scratch + 3 * width * n, length: n)
            let classBytes = UnsafeMutableRawPointer(scratch + doubles).bindMemory(to: UInt8.self, capacity: width * n)
            for item in items {
                let (o, strip) = item.quotientAndRemainder(dividingBy: strips)
                let start = o * n * stride + strip * width
                let lanes = min(width, lines - strip * width)
                var done = false
                if lanes == width {
                    for j in 0..<n {
                        let m = mask + (start &+ j &* stride), cj = classes + j &* width
                        for c in 0..<width { cj[c] = m[c] != 0 ? 1 : 0 }
                    }
                    done = stripSearch(data + start, stride: stride, classes: classes, count: n, weight: w, out: results)
                }
                if !done {
                    for j in 0..<n {
                        let src = data + (start &+ j &* stride), m = mask + (start &+ j &* stride)
                        let bj = block + j &* width, cj = classBytes + j &* width
                        for c in 0..<lanes {
                            bj[c] = src[c]
                            cj[c] = m[c]
                        }
                    }
                    for c in 0..<lanes {
                        line(f: block + c, classes: classBytes + c, count: n, step: width, weight: w,
                             out: results + c, stacks: stacks)
                    }
                }
                for j in 0..<n {
                    let dst = data + (start &+ j &* stride), src = results + j &* width
                    if lanes == width {
                        let v = UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Double>.self)
                        UnsafeMutableRawPointer(dst).storeBytes(
                            of: squareRoot ? Kernels.squareRoot(v) : v, as: SIMD8<Double>.self)
                    } else {
                        for c in 0..<lanes { dst[c] = squareRoot ? src[c].squareRoot() : src[c] }
                    }
                }
            }
        }
    }

    /// Most search steps per position before a strip falls back to the run solver.
    static let stripCap = 12

    /// The vectorised search of one full strip (8 lanes): `f` at `data + j·stride + lane`,
    /// classes (0/1 as Double) at `classes[j·8 + lane]`, results to `out[j·8 + lane]`.
    /// Returns false (results incomplete) when some position needs more than `stripCap` steps.
    static func stripSearch(
        _ f: UnsafePointer<Double>, stride: Int, classes: UnsafePointer<Double>, count n: Int, weight w: Double,
        out: UnsafeMutablePointer<Double>
    ) -> Bool {
        @inline(__always) func value(_ j: Int) -> SIMD8<Double> {
            UnsafeRawPointer(f + j &* stride).loadUnaligned(as: SIMD8<Double>.self)
        }
        @inline(__always) func cls(_ j: Int) -> SIMD8<Double> {
            UnsafeRawPointer(classes + j &* 8).loadUnaligned(as: SIMD8<Double>.self)
        }
        let zero = SIMD8<Double>(repeating: 0)
        for q in 0..<n {
            var best = value(q)
            let own = cls(q)
            var d = 1
            while true {
                let wd = w * Double(d &* d)
                let wdv = SIMD8<Double>(repeating: wd)
                if !any(wdv .< best) { break }
                let lo = q &- d, hi = q &+ d
                if lo < 0 && hi >= n { break }  // nothing farther: remaining +∞ lanes are exact
                if d > stripCap { return false }
                if lo >= 0 {
                    let c = value(lo).replacing(with: zero, where: cls(lo) .!= own) + wdv
                    best = best.replacing(with: c, where: c .< best)
                }
                if hi < n {
                    let c = value(hi).replacing(with: zero, where: cls(hi) .!= own) + wdv
                    best = best.replacing(with: c, where: c .< best)
                }
                d &+= 1
            }
            UnsafeMutableRawPointer(out + q &* 8).storeBytes(of: best, as: SIMD8<Double>.self)
        }
        return true
    }
}
