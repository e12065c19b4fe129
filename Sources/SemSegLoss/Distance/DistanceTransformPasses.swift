// MARK: - The passes of the separable EDT over a batch

/// Runs the kernels of `DistanceTransformKernels` over every line of a batch
/// `(B, n₀, …, n_{d−1})`, one pass per spatial axis:
///
/// 1. `scanPass` along axis 0 (columns, vectorised across each plane);
/// 2. `blockPass` along each middle axis (3-D only: axis 1, lines of stride `n₂`);
/// 3. `linePass` along the last, contiguous axis; it takes the square root.
///
/// The order of the envelope passes does not change the (exact) result. Work items are
/// independent and write disjoint voxels, so the output is bit-identical whatever the
/// chunking or thread count. Each chunk allocates its scratch once (`malloc`, failure ⇒
/// `SegLossError` of kind `.allocation`, never a trap); nothing is allocated per line.
enum DistanceTransformPasses {
    typealias Kernels = DistanceTransformKernels

    /// Batches below this many voxels run on the calling thread: waking the worker threads
    /// costs more than it saves there (measured: 256×256 is no faster on two threads,
    /// 512×512 is 1.5× faster).
    static let parallelVoxels = 1 << 17

    /// Lines up to this length always use the windowed minimum with the whole line as
    /// window (exact whatever the values, `+∞` included): cheaper than the envelope there.
    static let shortLine = Kernels.maxWindowRadius + 1

    /// Pass 1: distances along axis 0 (squared and scaled unless the image is 1-D).
    static func scanPass<M: DistanceMaskElement>(
        mask: UnsafePointer<M>, invert: Bool, geometry g: DistanceGeometry,
        output: UnsafeMutablePointer<Double>
    ) {
        let n = g.spatial[0]
        let plane = g.imageCount / n
        let width = min(plane, 64)  // columns per item: long enough to vectorise, many items
        let itemsPerImage = (plane + width - 1) / width
        Parallel.forEachRange(
            count: g.batch * itemsPerImage, chunkSize: max(1, (1 << 13) / (n * width)),
            workPerElement: n * width, threshold: parallelVoxels
        ) { _, items in
            for item in items {
                let (b, i) = item.quotientAndRemainder(dividingBy: itemsPerImage)
                let offset = b * g.imageCount
                Kernels.scanColumns(
                    mask: UnsafeRawPointer(mask + offset), invert: invert, planes: n, plane: plane,
                    columns: (i * width)..<min(plane, (i + 1) * width), spacing: g.spacing[0],
                    squared: g.spatial.count > 1, out: output + offset)
            }
        }
    }

    /// Envelope pass along spatial `axis` (not the last), whose lines have stride `inner`.
    /// Items are blocks of 8 adjacent lines, gathered into contiguous rows (strided rows
    /// would alias in L1 for power-of-two widths); full blocks with short distances use the
    /// windowed minimum, the others the lower envelope lane by lane.
    static func blockPass(
        _ data: UnsafeMutablePointer<Double>, geometry g: DistanceGeometry, axis: Int, inner: Int
    ) throws(SegLossError) {
        let n = g.spatial[axis]
        let width = Kernels.blockWidth
        let blocks = (inner + width - 1) / width
        let w = g.spacing[axis] * g.spacing[axis]
        let rows = 2 * width * n
        try forEachChunk(
            items: g.totalCount / (n * inner) * blocks, itemsPerChunk: max(1, (1 << 13) / (n * width)),
            scratch: rows + Kernels.EnvelopeStacks.doubleCount(length: n), work: g.totalCount
        ) { items, scratch in
            let block = scratch, results = scratch + width * n
            let stacks = Kernels.EnvelopeStacks(scratch + rows, length: n)
            for item in items {
                let (o, b) = item.quotientAndRemainder(dividingBy: blocks)
                let start = o * n * inner + b * width
                let lanes = min(width, inner - b * width)
                var top = SIMD8<Double>(repeating: lanes == width ? 0 : .infinity)
                for j in 0..<n {
                    let src = data + start + j * inner, dst = block + j * width
                    if lanes == width {
                        let v = UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Double>.self)
                        UnsafeMutableRawPointer(dst).storeBytes(of: v, as: SIMD8<Double>.self)
                        top = top.replacing(with: v, where: v .> top)
                    } else {
                        for c in 0..<lanes { dst[c] = src[c] }
                    }
                }
                let ratio = top.max() / w
                if lanes == width && n <= shortLine {  // whole line as window: exact for any f
                    Kernels.windowedMinimum(rows: block, count: n, weight: w, radius: n - 1, out: results)
                } else if ratio <= Double(Kernels.maxWindowRadius * Kernels.maxWindowRadius) {  // not ∞/NaN
                    Kernels.windowedMinimum(
                        rows: block, count: n, weight: w,
                        radius: min(Int(ratio.squareRoot()) + 1, n - 1), out: results)
                } else {
                    for c in 0..<lanes {
                        Kernels.lowerEnvelope(
                            f: block + c, count: n, step: width, weight: w, out: results + c, stacks: stacks)
                    }
                }
                for j in 0..<n {
                    let src = results + j * width, dst = data + start + j * inner
                    for c in 0..<lanes { dst[c] = src[c] }
                }
            }
        }
    }

    /// Last pass: envelope along the contiguous last axis, square root included. When
    /// distances are short the line is copied into a padded buffer (`+∞` margins) and the
    /// windowed minimum runs 8 outputs at a time; otherwise each run of set voxels is solved
    /// on its own (`TwoSidedTransform.line` restricted to set runs: unset voxels are 0 and
    /// bound every run, so sites beyond them never matter). Results go to scratch, then back
    /// with a vectorised square root.
    static func linePass(
        _ data: UnsafeMutablePointer<Double>, mask: UnsafeRawPointer, invert: Bool, geometry g: DistanceGeometry
    ) throws(SegLossError) {
        let axis = g.spatial.count - 1
        let n = g.spatial[axis]
        let w = g.spacing[axis] * g.spacing[axis]
        let margin = Kernels.maxWindowRadius + 9  // radius ≤ maxWindowRadius + 1, plus 8 lanes
        let padded = n + 2 * margin
        try forEachChunk(
            items: g.totalCount / n, itemsPerChunk: max(1, (1 << 13) / n),
            scratch: 2 * padded + TwoSidedTransform.RunStacks.doubleCount(length: n), work: g.totalCount
        ) { items, scratch in
            let line = scratch + margin, results = scratch + padded
            let stacks = TwoSidedTransform.RunStacks(scratch + 2 * padded, length: n)
            for i in 0..<margin {
                scratch[i] = .infinity
                line[n + i] = .infinity
            }
            for item in items {
                let row = data + item * n
                var top = 0.0
                for j in 0..<n { top = max(top, row[j]) }
                let ratio = top / w
                let window = ratio <= Double(Kernels.maxWindowRadius * Kernels.maxWindowRadius)  // not ∞/NaN
                if n <= shortLine || window {
                    for j in 0..<n { line[j] = row[j] }
                    Kernels.windowedLine(
                        padded: line, count: n, weight: w,
                        radius: n <= shortLine ? n - 1 : min(Int(ratio.squareRoot()) + 1, n - 1), out: results)
                } else {
                    setRuns(f: row, mask: mask.assumingMemoryBound(to: UInt8.self) + item * n, invert: invert,
                            count: n, weight: w, out: results, stacks: stacks)
                }
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

    /// `out = ` the envelope pass of one contiguous line, run by run of set voxels (unset
    /// voxels: 0). Short runs use the direct search, long ones the envelope.
    static func setRuns(
        f: UnsafePointer<Double>, mask: UnsafePointer<UInt8>, invert: Bool, count n: Int, weight w: Double,
        out: UnsafeMutablePointer<Double>, stacks: TwoSidedTransform.RunStacks
    ) {
        var a = 0
        while a < n {
            while a < n && (mask[a] != 0) == invert {
                out[a] = 0
                a &+= 1
            }
            if a == n { break }
            var b = a
            while b &+ 1 < n && (mask[b &+ 1] != 0) != invert { b &+= 1 }
            let hasLeft = a > 0, hasRight = b < n &- 1
            TwoSidedTransform.solveRun(
                f: f, step: 1, a: a, b: b, hasLeft: hasLeft, hasRight: hasRight, weight: w, out: out, stacks: stacks)
            a = b &+ 1
        }
    }

    /// Splits `0..<items` into chunks of `itemsPerChunk`, runs them in parallel when `work`
    /// (voxels) reaches `parallelVoxels`, each chunk with its own `scratch` Doubles.
    static func forEachChunk(
        items: Int, itemsPerChunk: Int, scratch count: Int, work: Int,
        _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void
    ) throws(SegLossError) {
        let chunks = (items + itemsPerChunk - 1) / itemsPerChunk
        var failed = [Bool](repeating: false, count: chunks)
        failed.withUnsafeMutableBufferPointer { flags in
            Parallel.forEachChunk(chunks, work: work, threshold: parallelVoxels) { chunk in
                guard let scratch = DistanceScratch.allocate(Double.self, count: count) else {
                    flags[chunk] = true
                    return
                }
                defer { DistanceScratch.release(scratch) }
                let lo = chunk * itemsPerChunk
                body(lo..<min(items, lo + itemsPerChunk), scratch)
            }
        }
        if failed.contains(true) {
            throw DistanceScratch.failure("mask", count: count, of: "float64")
        }
    }
}
